import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditEntry, AuditPage as Page } from '../../api/types';
import { json, renderAs } from '../../test/render';
import AuditPage from './AuditPage';

function entry(i: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: `2026-01-01T10:00:${String(59 - i).padStart(2, '0')}.000000001Z`,
    user: 'otto',
    role: 'operator',
    client: '127.0.0.1',
    action: 'vm.start',
    host: 'local',
    uuid: '00000000-0000-4000-8000-000000000001',
    vm: 'web',
    result: 'ok',
    status: 200,
    durationMs: 42,
    ...over,
  };
}

/** Serves /api/v1/audit from pages chosen by the request's query; records the queries. */
function mockAudit(answer: (q: URLSearchParams) => Page) {
  const queries: URLSearchParams[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) => {
      const u = new URL(url, 'http://x');
      if (u.pathname === '/api/v1/audit') {
        queries.push(u.searchParams);
        return json(answer(u.searchParams));
      }
      return json({ error: { code: 'not_found', message: url } }, 404);
    }),
  );
  return queries;
}

function open(search = '') {
  window.history.replaceState(null, '', `/audit${search}`);
}

describe('AuditPage', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('lists entries newest first with result, duration and message, and warns when the log cannot be written', async () => {
    mockAudit(() => ({
      entries: [
        entry(0, { action: 'snapshot.create', result: 'error', status: 202, error: { code: 'snapshot_failed', message: 'no space left' }, detail: 'before-upgrade', operation: 'abcdef0123456789' }),
        entry(1, { user: 'vera', role: 'viewer', action: 'vm.start', result: 'denied', status: 403, error: { code: 'forbidden_role', message: 'viewers cannot start VMs' } }),
        entry(2),
      ],
      more: false,
      writeError: 'write /var/lib/kvm-manager/audit.log: no space left on device',
    }));
    open();
    renderAs('admin', <AuditPage />);
    const banner = await screen.findByRole('alert');
    expect(banner.textContent).toContain('The server cannot write the audit log. write /var/lib/kvm-manager/audit.log: no space left on device.');
    const rows = within(screen.getByRole('region', { name: 'Audit log entries' })).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    const cells = (r: HTMLElement | undefined) => (r ? within(r).getAllByRole('cell').map((c) => c.textContent) : []);
    expect(cells(rows[0]).slice(1)).toEqual([
      'otto',
      'operator',
      '127.0.0.1',
      'Take a snapshotsnapshot.create',
      'web',
      'Failed',
      '42 ms',
      'before-upgrade — no space leftoperation abcdef01',
    ]);
    expect(cells(rows[1]).slice(1, 7)).toEqual(['vera', 'viewer', '127.0.0.1', 'Startvm.start', 'web', 'Denied']);
    expect(within(rows[2] ?? document.body).getByRole('link', { name: 'web' }).getAttribute('href')).toBe('/vms/local/00000000-0000-4000-8000-000000000001');
  });

  it('loads older entries from the server’s cursor', async () => {
    const first = [entry(0), entry(1)];
    const queries = mockAudit((q) => (q.get('cursor') ? { entries: [entry(2)], more: false } : { entries: first, more: true, next: 'c1~1' }));
    open();
    renderAs('admin', <AuditPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Load older entries' }));
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(4)); // header + 3
    expect(queries.map((q) => q.toString())).toEqual(['limit=100', 'limit=100&cursor=c1%7E1']);
    expect(screen.queryByRole('button', { name: 'Load older entries' })).toBeNull();
    expect(screen.getByText('The start of the log: no older entries.')).toBeTruthy();
  });

  it('filters through the address and the API', async () => {
    const queries = mockAudit((q) => ({ entries: q.get('action') === 'vm.start' ? [entry(0)] : [], more: false }));
    open('?user=otto');
    renderAs('admin', <AuditPage />);
    expect((await screen.findByLabelText<HTMLInputElement>('User')).value).toBe('otto');
    await screen.findByText('No entries match these filters.');
    fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'vm.start' } });
    await waitFor(() => expect(window.location.search).toBe('?user=otto&action=vm.start'));
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(2));
    expect(queries.map((q) => q.toString())).toEqual(['limit=100&user=otto', 'limit=100&user=otto&action=vm.start']);
    // Typing applies after a pause; Clear removes every filter.
    fireEvent.change(screen.getByLabelText('VM'), { target: { value: 'web' } });
    await waitFor(() => expect(window.location.search).toBe('?user=otto&vm=web&action=vm.start'));
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(window.location.search).toBe(''));
    expect(screen.getByLabelText<HTMLInputElement>('User').value).toBe('');
  });

  it('reads nothing for a role without the audit log', () => {
    const queries = mockAudit(() => ({ entries: [], more: false }));
    open();
    renderAs('operator', <AuditPage />);
    expect(screen.getByRole('note', { name: 'The audit log is not available to you' }).textContent).toContain(
      'Your role (operator) cannot read the audit log; an admin can do it.',
    );
    expect(queries).toEqual([]);
  });
});
