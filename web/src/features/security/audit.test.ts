import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditPage } from '../../api/types';
import { formatDateTime } from '../../lib/format';
import {
  actionLabel,
  AUDIT_ACTIONS,
  auditDuration,
  auditQuery,
  auditTime,
  currentWriteError,
  entryMessage,
  filtersFromSearch,
  filtersToSearch,
  hasFilters,
  mergePages,
  nextCursor,
  NO_FILTERS,
  resultOf,
  sameFilters,
} from './audit';

function entry(over: Partial<AuditEntry> = {}): AuditEntry {
  return { time: '2026-01-01T10:00:00.000000001Z', user: 'otto', role: 'operator', client: '127.0.0.1', action: 'vm.start', result: 'ok', ...over };
}

describe('filters', () => {
  it('round-trip through the address, in a fixed order, without empty ones', () => {
    const f = { user: 'otto', vm: '', action: 'vm.start' };
    expect(filtersToSearch(f)).toBe('user=otto&action=vm.start');
    expect(filtersFromSearch('action=vm.start&user=otto')).toEqual(f);
    expect(filtersToSearch(NO_FILTERS)).toBe('');
    expect(filtersFromSearch('')).toEqual(NO_FILTERS);
  });

  it('trim what was typed and encode what needs it', () => {
    expect(filtersFromSearch('user=%20otto%20&vm=web%20server')).toEqual({ user: 'otto', vm: 'web server', action: '' });
    expect(filtersToSearch({ user: ' a&b ', vm: 'x y', action: '' })).toBe('user=a%26b&vm=x+y');
    expect(sameFilters({ user: 'otto ', vm: '', action: '' }, { user: 'otto', vm: '', action: '' })).toBe(true);
    expect(hasFilters({ user: '  ', vm: '', action: '' })).toBe(false);
    expect(hasFilters({ user: '', vm: 'web', action: '' })).toBe(true);
  });
});

describe('auditQuery', () => {
  it('asks for a page with the limit, the cursor and the filters', () => {
    expect(auditQuery(NO_FILTERS)).toBe('limit=100');
    expect(auditQuery({ user: 'otto', vm: 'web', action: 'vm.start' }, '2026-01-01T10:00:00.5Z~2', 50)).toBe(
      'limit=50&cursor=2026-01-01T10%3A00%3A00.5Z%7E2&user=otto&vm=web&action=vm.start',
    );
  });
});

describe('paging', () => {
  it('continues from the oldest entry while the server has more', () => {
    const page: AuditPage = { entries: [entry({ time: 't3' }), entry({ time: 't2' })], more: true, next: 't2~1' };
    expect(nextCursor(page)).toBe('t2~1');
    expect(nextCursor({ ...page, more: false })).toBeUndefined();
    expect(nextCursor({ entries: null, more: true })).toBeUndefined();
    expect(nextCursor({ entries: [], more: true })).toBeUndefined();
  });

  it('joins pages newest first, keeping entries that look alike', () => {
    const a = entry({ time: 't3' });
    const b = entry({ time: 't2', action: 'console.open', vm: 'one' });
    const c = entry({ time: 't2', action: 'console.open', vm: 'two' }); // same time, user and action as b: another session
    const d = entry({ time: 't1' });
    const pages: AuditPage[] = [
      { entries: [a, b], more: true, next: 't2~1' },
      { entries: [c, d], more: false },
    ];
    expect(mergePages(pages)).toEqual([a, b, c, d]);
    expect(mergePages([{ entries: null, more: false }])).toEqual([]);
  });

  it('reports the newest page’s write error only', () => {
    expect(currentWriteError([{ entries: [], more: false, writeError: ' disk full ' }])).toBe('disk full');
    expect(currentWriteError([{ entries: [], more: true }, { entries: [], more: false, writeError: 'old' }])).toBeUndefined();
    expect(currentWriteError([{ entries: [], more: false, writeError: '' }])).toBeUndefined();
    expect(currentWriteError([])).toBeUndefined();
  });
});

describe('formatting', () => {
  it('names every action of the contract, and shows unknown ones as sent', () => {
    const all = AUDIT_ACTIONS.flatMap((g) => g.actions.map((a) => a.value));
    expect(all).toEqual(
      expect.arrayContaining([
        'login',
        'logout',
        'session.revoke',
        'vm.start',
        'vm.shutdown',
        'vm.reboot',
        'vm.force-off',
        'vm.reset',
        'vm.pause',
        'vm.resume',
        'vm.autostart',
        'vm.delete',
        'vm.graphics.add',
        'vm.serial.add',
        'operation.cancel',
        'console.open',
        'serial.open',
        'screenshot.save',
        'snapshot.create',
        'snapshot.edit',
        'snapshot.delete',
        'snapshot.revert',
      ]),
    );
    expect(new Set(all).size).toBe(all.length);
    expect(actionLabel('vm.force-off')).toBe('Force off');
    expect(actionLabel('console.open')).toBe('Graphical console session');
    expect(actionLabel('vm.migrate')).toBe('vm.migrate');
  });

  it.each([
    ['ok', undefined, 'Succeeded', 'ok'],
    ['ok', 202, 'Succeeded', 'ok'],
    ['ok', 101, 'Session ended', 'ok'],
    ['error', undefined, 'Failed', 'error'],
    ['error', 404, 'Failed: not found', 'error'],
    ['error', 502, 'Failed: libvirt error', 'error'],
    ['denied', 403, 'Denied', 'denied'],
    ['odd', undefined, 'odd', 'error'],
    ['', undefined, 'Unknown', 'error'],
  ])('result %s (HTTP %s) → %s (%s)', (result, status, text, tone) => {
    expect(resultOf({ result, status })).toEqual({ text, tone });
  });

  it.each([
    [undefined, ''],
    [-1, ''],
    [Number.NaN, ''],
    [0, '0 ms'],
    [123, '123 ms'],
    [65_000, '1 min 5 s'],
  ])('duration %s → %j', (ms, want) => {
    expect(auditDuration(ms)).toBe(want);
  });

  it('shows the date with the time, today too', () => {
    const today = new Date().toISOString();
    expect(auditTime(today)).toBe(formatDateTime(today));
    expect(auditTime(today)).toMatch(new RegExp(String(new Date().getFullYear())));
    expect(auditTime('not a time')).toBe('—');
  });

  it('says the detail and the error', () => {
    expect(entryMessage({})).toBe('');
    expect(entryMessage({ detail: 'before-upgrade' })).toBe('before-upgrade');
    expect(entryMessage({ error: { code: 'forbidden_role', message: 'viewers cannot start VMs' } })).toBe('viewers cannot start VMs');
    expect(entryMessage({ detail: 'x', error: { code: 'e', message: 'failed' } })).toBe('x — failed');
  });
});
