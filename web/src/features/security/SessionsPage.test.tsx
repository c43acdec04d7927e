import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { qk } from '../../resources/keys';
import type { SessionInfo } from '../../api/types';
import { json, renderAs } from '../../test/render';
import SessionsPage from './SessionsPage';

function info(over: Partial<SessionInfo>): SessionInfo {
  return {
    id: '0000000000000001',
    user: 'ada',
    role: 'admin',
    client: '127.0.0.1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
    created: new Date(Date.now() - 3_600_000).toISOString(),
    lastSeen: new Date(Date.now() - 60_000).toISOString(),
    // Half a minute over 11 h: "in 11 h" holds until the page renders
    // 30 s later (it read "in 10 h 59 min" when rendering took over 1 s on a
    // busy machine).
    expiresAt: new Date(Date.now() + 11 * 3_600_000 + 30_000).toISOString(),
    current: false,
    ...over,
  };
}

function mockSessions(list: SessionInfo[]) {
  const deleted: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      if (url === '/api/v1/sessions') return json({ sessions: list.filter((s) => !deleted.includes(s.id)) });
      const m = /^\/api\/v1\/sessions\/(\w+)$/.exec(url);
      if (m && init?.method === 'DELETE') {
        deleted.push(m[1] ?? '');
        return Promise.resolve(new Response(null, { status: 204 }));
      }
      return json({ error: { code: 'not_found', message: url } }, 404);
    }),
  );
  return deleted;
}

describe('SessionsPage', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('lists this session first, with where and when', async () => {
    mockSessions([info({ id: 'b', user: 'otto', role: 'operator', client: '127.0.0.2' }), info({ id: 'a', current: true })]);
    renderAs('admin', <SessionsPage />);
    const rows = (await screen.findAllByRole('row')).slice(1);
    expect(rows.map((r) => r.getAttribute('data-session-user'))).toEqual(['ada', 'otto']);
    const cells = within(rows[0] ?? document.body).getAllByRole('cell').map((c) => c.textContent);
    expect(cells.slice(0, 6)).toEqual(['ada admin this session', '127.0.0.1', 'Chrome 140 on Linux', '1 h ago', '1 min ago', 'in 11 h']);
    expect(screen.getByRole('heading', { name: '2 sessions' })).toBeDefined();
  });

  it('revokes another user’s session after asking', async () => {
    const deleted = mockSessions([info({ id: 'a', current: true }), info({ id: 'b', user: 'otto', role: 'operator' })]);
    renderAs('admin', <SessionsPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke otto’s session from 127.0.0.1' }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Revoke otto’s session?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke session' }));
    await waitFor(() => expect(deleted).toEqual(['b']));
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(2));
  });

  it('does nothing when the question is cancelled', async () => {
    const deleted = mockSessions([info({ id: 'b', user: 'otto', role: 'operator' })]);
    renderAs('admin', <SessionsPage />);
    fireEvent.click(await screen.findByRole('button', { name: /^Revoke otto/ }));
    fireEvent.click(within(await screen.findByRole('alertdialog')).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect(deleted).toEqual([]);
  });

  it('logs out when this session is revoked', async () => {
    window.history.replaceState(null, '', '/sessions');
    const deleted = mockSessions([info({ id: 'a', user: 'vera', role: 'viewer', current: true })]);
    const { qc } = renderAs('viewer', <SessionsPage />);
    expect(await screen.findByText(/Where you are logged in/)).toBeDefined();
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke this session (log out)' }));
    fireEvent.click(within(await screen.findByRole('alertdialog', { name: 'Log out this session?' })).getByRole('button', { name: 'Revoke and log out' }));
    await waitFor(() => expect(window.location.pathname).toBe('/login'));
    expect(deleted).toEqual(['a']);
    expect(qc.getQueryData(qk.session)).toBeNull();
  });
});
