// The navigation tree's logic, kept pure for tests: hosts and their VMs
// flattened into rows (filtered, collapsed hosts left closed), and what
// each key does in the tree (the WAI-ARIA tree pattern: arrows, Home/End,
// Enter, type-ahead).

import type { Host, VM } from '../../api/types';
import { matchesSearch, vmKey } from '../../resources/vm/model';

export interface HostRow {
  kind: 'host';
  key: string;
  host: string;
  info: Host | undefined;
  expanded: boolean;
  /** VMs of the host, before filtering. */
  total: number;
  /** VMs of the host that match the filter. */
  matching: number;
  level: 1;
  pos: number;
  setSize: number;
}

export interface VMRow {
  kind: 'vm';
  key: string;
  vm: VM;
  /** The row index of the VM's host. */
  parent: number;
  level: 2;
  pos: number;
  setSize: number;
}

export type NavRow = HostRow | VMRow;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** The key of a host's row (VM rows are keyed by vmKey). */
export const hostKey = (host: string): string => `host:${host}`;

/**
 * The rows of the tree: each host (configured ones first, in their order,
 * then any host only a VM names), then its VMs by name when it is
 * expanded. With a filter, only VMs that match it are listed, hosts without
 * a match are left out, and every host shown is open.
 */
export function buildNavRows(vms: readonly VM[], hosts: readonly Host[], filter: string, collapsed: ReadonlySet<string>): NavRow[] {
  const names = hosts.map((h) => h.name);
  const byHost = new Map<string, VM[]>(names.map((n) => [n, []]));
  const totals = new Map<string, number>();
  for (const vm of vms) {
    if (!byHost.has(vm.host)) {
      names.push(vm.host);
      byHost.set(vm.host, []);
    }
    totals.set(vm.host, (totals.get(vm.host) ?? 0) + 1);
    if (matchesSearch(vm, filter)) byHost.get(vm.host)?.push(vm);
  }
  const filtering = filter.trim() !== '';
  const shownHosts = names.filter((n) => !filtering || (byHost.get(n)?.length ?? 0) > 0);
  const rows: NavRow[] = [];
  shownHosts.forEach((name, i) => {
    const list = (byHost.get(name) ?? []).sort((a, b) => collator.compare(a.name, b.name) || a.uuid.localeCompare(b.uuid));
    const expanded = filtering || !collapsed.has(name);
    const parent = rows.length;
    rows.push({
      kind: 'host',
      key: hostKey(name),
      host: name,
      info: hosts.find((h) => h.name === name),
      expanded,
      total: totals.get(name) ?? 0,
      matching: list.length,
      level: 1,
      pos: i + 1,
      setSize: shownHosts.length,
    });
    if (!expanded) return;
    list.forEach((vm, j) => {
      rows.push({ kind: 'vm', key: vmKey(vm.host, vm.uuid), vm, parent, level: 2, pos: j + 1, setSize: list.length });
    });
  });
  return rows;
}

/** The text a row is found by with type-ahead. */
export function rowLabel(r: NavRow): string {
  return r.kind === 'host' ? r.host : r.vm.name;
}

/** What a key press in the tree asks for. */
export type NavAction =
  | { type: 'focus'; index: number }
  | { type: 'expand'; host: string }
  | { type: 'collapse'; host: string; focus: number }
  | { type: 'open'; index: number }
  | { type: 'none' };

/**
 * What a key does on the row at index (the WAI-ARIA tree pattern):
 * ↓/↑ next/previous row, → opens a closed host or moves into an open one,
 * ← closes an open host or moves to a VM's host, Home/End first/last row,
 * Enter/Space opens a VM or toggles a host; a printable character moves to
 * the next row whose label starts with the typed text (`typed`, the
 * characters typed in quick succession, this one included).
 */
export function navKey(rows: readonly NavRow[], index: number, key: string, typed = ''): NavAction {
  const row = rows[index];
  if (!row) return rows.length > 0 ? { type: 'focus', index: 0 } : { type: 'none' };
  const last = rows.length - 1;
  switch (key) {
    case 'ArrowDown':
      return { type: 'focus', index: Math.min(last, index + 1) };
    case 'ArrowUp':
      return { type: 'focus', index: Math.max(0, index - 1) };
    case 'Home':
      return { type: 'focus', index: 0 };
    case 'End':
      return { type: 'focus', index: last };
    case 'ArrowRight':
      if (row.kind === 'vm') return { type: 'none' };
      if (!row.expanded) return { type: 'expand', host: row.host };
      return rows[index + 1]?.kind === 'vm' ? { type: 'focus', index: index + 1 } : { type: 'none' };
    case 'ArrowLeft':
      if (row.kind === 'vm') return { type: 'focus', index: row.parent };
      return row.expanded ? { type: 'collapse', host: row.host, focus: index } : { type: 'none' };
    case 'Enter':
    case ' ':
      if (row.kind === 'vm') return { type: 'open', index };
      return row.expanded ? { type: 'collapse', host: row.host, focus: index } : { type: 'expand', host: row.host };
  }
  if (key.length === 1 && typed !== '') {
    const q = typed.toLowerCase();
    // A repeated single letter cycles through the rows starting with it; longer text stays on a row while it still matches.
    const start = q.length > 1 ? index : index + 1;
    for (let n = 0; n < rows.length; n++) {
      const i = (start + n) % rows.length;
      const r = rows[i];
      if (r && rowLabel(r).toLowerCase().startsWith(q)) return { type: 'focus', index: i };
    }
  }
  return { type: 'none' };
}

/** The index of a row by key, or -1. */
export function indexOfKey(rows: readonly NavRow[], key: string | null): number {
  return key === null ? -1 : rows.findIndex((r) => r.key === key);
}
