// The audit log page's logic, kept pure for tests: filters ⇄ the page's
// address and the API's query, the paging cursor, merging pages, and the
// words and tones for actions and results.

import type { AuditEntry, AuditPage } from '../../api/types';
import { formatDateTime, formatDuration } from '../../lib/format';

/** Entries per request: a screenful or two; more load as the list scrolls. */
export const AUDIT_PAGE_SIZE = 100;

export interface AuditFilters {
  user: string;
  vm: string;
  action: string;
}

export const NO_FILTERS: AuditFilters = { user: '', vm: '', action: '' };

const FILTER_KEYS = ['user', 'vm', 'action'] as const;

/** The filters in the page's address (/audit?user=otto&action=vm.start). */
export function filtersFromSearch(search: string): AuditFilters {
  const p = new URLSearchParams(search);
  return { user: (p.get('user') ?? '').trim(), vm: (p.get('vm') ?? '').trim(), action: (p.get('action') ?? '').trim() };
}

/** The page's query string for filters ('' without any), in a fixed order. */
export function filtersToSearch(f: AuditFilters): string {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = f[k].trim();
    if (v) p.set(k, v);
  }
  return p.toString();
}

export function hasFilters(f: AuditFilters): boolean {
  return FILTER_KEYS.some((k) => f[k].trim() !== '');
}

export function sameFilters(a: AuditFilters, b: AuditFilters): boolean {
  return FILTER_KEYS.every((k) => a[k].trim() === b[k].trim());
}

/** The API's query for one page: filters, then the cursor (the server's `next` of the page before). */
export function auditQuery(f: AuditFilters, cursor?: string, limit: number = AUDIT_PAGE_SIZE): string {
  const p = new URLSearchParams();
  p.set('limit', String(limit));
  if (cursor) p.set('cursor', cursor);
  for (const k of FILTER_KEYS) {
    const v = f[k].trim();
    if (v) p.set(k, v);
  }
  return p.toString();
}

/** The cursor for the next (older) page, while the server says there is more. */
export function nextCursor(page: AuditPage): string | undefined {
  const entries = page.entries ?? [];
  if (!page.more || entries.length === 0) return undefined;
  return page.next;
}

/**
 * All pages' entries, newest first as the server sent them. The server's
 * cursor starts each page exactly after the last (it counts the entries of
 * a shared time already sent), so pages never overlap and nothing is
 * dropped: entries that look alike (sixty console sessions begun in one
 * second) are different entries.
 */
export function mergePages(pages: readonly AuditPage[]): AuditEntry[] {
  return pages.flatMap((p) => p.entries ?? []);
}

/** The newest page's write error: what the server says now. */
export function currentWriteError(pages: readonly AuditPage[]): string | undefined {
  const w = pages[0]?.writeError?.trim();
  if (!w) return undefined;
  return w;
}

export interface ActionGroup {
  label: string;
  actions: readonly { value: string; label: string }[];
}

/** The actions the server records, grouped for the filter. The server matches an action or, given a prefix, every action under it. */
export const AUDIT_ACTIONS: readonly ActionGroup[] = [
  {
    label: 'Kinds',
    actions: [
      { value: 'vm', label: 'Any VM action' },
      { value: 'snapshot', label: 'Any snapshot action' },
    ],
  },
  {
    label: 'Sign-in',
    actions: [
      { value: 'login', label: 'Log in' },
      { value: 'logout', label: 'Log out' },
      { value: 'session.revoke', label: 'Revoke a session' },
    ],
  },
  {
    label: 'Power',
    actions: [
      { value: 'vm.start', label: 'Start' },
      { value: 'vm.shutdown', label: 'Shut down' },
      { value: 'vm.reboot', label: 'Reboot' },
      { value: 'vm.force-off', label: 'Force off' },
      { value: 'vm.reset', label: 'Reset' },
      { value: 'vm.pause', label: 'Pause' },
      { value: 'vm.resume', label: 'Resume' },
      { value: 'operation.cancel', label: 'Cancel an operation' },
    ],
  },
  {
    label: 'Configuration',
    actions: [
      { value: 'vm.autostart', label: 'Change autostart' },
      { value: 'vm.delete', label: 'Delete a VM' },
      { value: 'vm.graphics.add', label: 'Add VNC graphics' },
      { value: 'vm.serial.add', label: 'Add a serial console' },
    ],
  },
  {
    label: 'Consoles',
    actions: [
      { value: 'console.open', label: 'Graphical console session' },
      { value: 'serial.open', label: 'Serial console session' },
      { value: 'screenshot.save', label: 'Save a screenshot' },
    ],
  },
  {
    label: 'Snapshots',
    actions: [
      { value: 'snapshot.create', label: 'Take a snapshot' },
      { value: 'snapshot.edit', label: 'Edit a snapshot' },
      { value: 'snapshot.delete', label: 'Delete a snapshot' },
      { value: 'snapshot.revert', label: 'Revert to a snapshot' },
    ],
  },
];

const ACTION_LABELS = new Map(AUDIT_ACTIONS.flatMap((g) => g.actions.map((a) => [a.value, a.label] as const)));

/** An action in words: "vm.force-off" → "Force off"; unknown actions as sent. */
export function actionLabel(action: string): string {
  return ACTION_LABELS.get(action) ?? action;
}

export type ResultTone = 'ok' | 'error' | 'denied';

/** Why a request failed, in words, from its HTTP status ('' when the status says nothing more). */
function statusReason(status: number | undefined): string {
  switch (status) {
    case 400:
    case 422:
      return 'invalid request';
    case 401:
      return 'not signed in';
    case 403:
      return 'not allowed';
    case 404:
      return 'not found';
    case 409:
      return 'conflict';
    case 413:
      return 'request too large';
    case 429:
      return 'too many attempts';
    case 499:
      return 'canceled';
    case 502:
      return 'libvirt error';
    case 503:
      return 'unavailable';
    case 504:
      return 'timed out';
    default:
      return status !== undefined && status >= 500 ? 'server error' : '';
  }
}

/**
 * An entry's result in words and its tone (colour is never the only cue):
 * "Succeeded", "Session ended" (a console: 101), "Failed: not found". The
 * HTTP status is for the tooltip only.
 */
export function resultOf(e: Pick<AuditEntry, 'result' | 'status'>): { text: string; tone: ResultTone } {
  switch (e.result) {
    case 'ok':
      return { text: e.status === 101 ? 'Session ended' : 'Succeeded', tone: 'ok' };
    case 'denied':
      return { text: 'Denied', tone: 'denied' };
    case 'error': {
      const why = statusReason(e.status);
      return { text: why ? `Failed: ${why}` : 'Failed', tone: 'error' };
    }
    default:
      return { text: e.result || 'Unknown', tone: 'error' };
  }
}

/** How long an action took (a console session: how long it was open); '' when not recorded. */
export function auditDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  return formatDuration(ms);
}

/** The time of an entry, always with its date: a log is read across days, and "08:53" alone cannot be placed. */
export function auditTime(time: string): string {
  return formatDateTime(time);
}

/** What an entry says beyond its columns: the error, else the detail (a snapshot's name…). */
export function entryMessage(e: Pick<AuditEntry, 'error' | 'detail'>): string {
  const parts: string[] = [];
  if (e.detail) parts.push(e.detail);
  if (e.error?.message) parts.push(e.error.message);
  return parts.join(' — ');
}
