import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Host } from '../../api/types';
import { json, renderAs } from '../../test/render';
import HostsPage from './HostsPage';

function host(over: Partial<Host>): Host {
  return { name: 'local', uri: 'qemu:///system', state: 'connected', since: new Date().toISOString(), local: true, source: 'config', ...over };
}

function mockHosts(list: Host[]) {
  const calls: { url: string; method: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      if (method !== 'GET') calls.push({ url, method, body: init?.body ? JSON.parse(init.body as string) : undefined });
      if (url === '/api/v1/hosts') return json({ hosts: list });
      if (url === '/api/v1/vms') return json({ vms: [] });
      if (/\/trust$/.exec(url)) return json({ host: 'kvm2', hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:new' } });
      if (method === 'DELETE') return Promise.resolve(new Response(null, { status: 204 }));
      return json({ error: { code: 'not_found', message: url } }, 404);
    }),
  );
  return calls;
}

describe('HostsPage', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows a changed key with the old and the new fingerprint before approving it', async () => {
    const calls = mockHosts([
      host({}),
      host({
        name: 'kvm2',
        uri: 'qemu+ssh://root@kvm2/system',
        state: 'host_key_changed',
        local: false,
        source: 'api',
        hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:new', known: ['SHA256:old'] },
      }),
    ]);
    renderAs('admin', <HostsPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Review new key' }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Approve the new key of kvm2?' });
    expect(within(dialog).getByText('SHA256:old')).toBeDefined();
    expect(within(dialog).getByText('SHA256:new')).toBeDefined();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve new key' }));
    await waitFor(() => expect(calls).toEqual([{ url: '/api/v1/hosts/kvm2/trust', method: 'POST', body: { fingerprint: 'SHA256:new' } }]));
  });

  it('offers no changes of configured hosts, and none at all to operators', async () => {
    mockHosts([host({}), host({ name: 'kvm2', uri: 'qemu+tls://kvm2/system', source: 'api', local: false })]);
    renderAs('admin', <HostsPage />);
    expect(await screen.findByRole('button', { name: 'Remove kvm2' })).toBeDefined();
    expect(screen.queryByRole('button', { name: 'Remove local' })).toBeNull();
    cleanup();
    renderAs('operator', <HostsPage />);
    expect(await screen.findByText('kvm2')).toBeDefined();
    expect(screen.queryByRole('button', { name: /Remove|Add host|Edit/ })).toBeNull();
  });
});
