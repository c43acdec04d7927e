import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Host } from '../../api/types';
import { json, renderAs } from '../../test/render';
import HostsPage from './HostsPage';

function host(over: Partial<Host>): Host {
  return { name: 'local', uri: 'qemu:///system', state: 'connected', since: new Date().toISOString(), local: true, source: 'config', ...over };
}

function mockHosts(list: Host[], vms: { host: string; state: string }[] = []) {
  const calls: { url: string; method: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      if (method !== 'GET') calls.push({ url, method, body: init?.body ? JSON.parse(init.body as string) : undefined });
      if (url === '/api/v1/hosts') return json({ hosts: list });
      if (url === '/api/v1/vms') return json({ vms: vms.map((v, i) => ({ ...v, uuid: `u${i}`, name: `vm${i}` })) });
      if (/\/trust$/.exec(url)) return json({ host: 'kvm2', hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:new' } });
      if (method === 'DELETE') return Promise.resolve(new Response(null, { status: 204 }));
      if (method === 'PUT') return json(host({ name: 'kvm9', source: 'api' }));
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

  it('shows each host’s software, machine and VMs by state', async () => {
    mockHosts([
      host({
        libvirtVersion: '9.0.0',
        node: { qemuVersion: '7.2.0', cpuModel: 'Intel Skylake', cpus: 2, memoryBytes: 4 * 2 ** 30, memoryFreeBytes: 2 ** 30, readAt: new Date().toISOString() },
      }),
    ], [
      { host: 'local', state: 'shutoff' },
      { host: 'local', state: 'running' },
      { host: 'local', state: 'shutoff' },
      { host: 'local', state: 'shutoff' },
      { host: 'other', state: 'running' },
    ]);
    renderAs('admin', <HostsPage />);
    const row = (await screen.findByText('qemu:///system')).closest('tr') as HTMLElement;
    expect(within(row).getByTestId('host-software').textContent).toBe('libvirt 9.0.0QEMU 7.2.0');
    expect(within(row).getByTestId('host-machine').textContent).toMatch(/^2 CPUs · Intel Skylake1(\.0)? GiB free of 4(\.0)? GiB$/);
    expect(within(row).getByTestId('host-vms').textContent).toBe('1 running3 shut off');
  });

  it('renames a host added here, refusing a name in use', async () => {
    const calls = mockHosts([host({}), host({ name: 'kvm2', uri: 'qemu+tls://kvm2/system', source: 'api', local: false })]);
    renderAs('admin', <HostsPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit kvm2' }));
    const form = await screen.findByRole('form', { name: 'Edit host kvm2' });
    const nameInput = within(form).getByLabelText('Name');
    fireEvent.change(nameInput, { target: { value: 'local' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(form).findByText(/already a host named/)).toBeDefined();
    fireEvent.change(nameInput, { target: { value: 'kvm9' } });
    expect(within(form).getByText(/Renaming closes the host’s consoles/)).toBeDefined();
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls).toEqual([{ url: '/api/v1/hosts/kvm2', method: 'PUT', body: { name: 'kvm9', uri: 'qemu+tls://kvm2/system' } }]));
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
