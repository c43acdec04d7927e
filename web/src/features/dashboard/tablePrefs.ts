// The VM table's sort and hidden columns, kept in the browser
// (localStorage) so that the table looks the same on the next visit.

import type { SortingState, VisibilityState } from '@tanstack/react-table';

/** The table's columns, in order. */
export const TABLE_COLUMNS = ['name', 'state', 'vcpus', 'memory', 'cpu', 'memUsed', 'ip', 'actions'] as const;
export type TableColumn = (typeof TABLE_COLUMNS)[number];

/** Columns that can be hidden (the name identifies the row; actions are the row's purpose). */
export const HIDEABLE: readonly TableColumn[] = ['state', 'vcpus', 'memory', 'cpu', 'memUsed', 'ip'];

/** Columns that a header click sorts by. */
export const SORTABLE: readonly TableColumn[] = ['name', 'state', 'vcpus', 'memory', 'cpu', 'memUsed', 'ip'];

export interface TablePrefs {
  sorting: SortingState;
  hidden: VisibilityState;
}

export const DEFAULT_TABLE_PREFS: TablePrefs = { sorting: [{ id: 'name', desc: false }], hidden: {} };

const KEY = 'kvmm.vmTable';

/** Reads stored prefs, keeping only what names a real column (anything else falls back to the defaults). */
export function parseTablePrefs(raw: unknown): TablePrefs {
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const sorting: SortingState = [];
  if (Array.isArray(o.sorting)) {
    const first: unknown = o.sorting[0];
    if (typeof first === 'object' && first !== null) {
      const s = first as Record<string, unknown>;
      if (typeof s.id === 'string' && (SORTABLE as readonly string[]).includes(s.id)) sorting.push({ id: s.id, desc: s.desc === true });
    }
  }
  const hidden: VisibilityState = {};
  if (typeof o.hidden === 'object' && o.hidden !== null) {
    for (const [k, v] of Object.entries(o.hidden as Record<string, unknown>)) {
      if ((HIDEABLE as readonly string[]).includes(k) && v === false) hidden[k] = false;
    }
  }
  return { sorting: sorting.length ? sorting : DEFAULT_TABLE_PREFS.sorting, hidden };
}

export function loadTablePrefs(): TablePrefs {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? parseTablePrefs(JSON.parse(raw)) : DEFAULT_TABLE_PREFS;
  } catch {
    return DEFAULT_TABLE_PREFS;
  }
}

export function saveTablePrefs(p: TablePrefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(p));
  } catch {
    // storage full or disabled: the choice lasts for this page only
  }
}

/** The aria-sort of a column header. */
export function ariaSort(sorting: SortingState, column: string): 'ascending' | 'descending' | 'none' {
  const s = sorting.find((x) => x.id === column);
  if (!s) return 'none';
  return s.desc ? 'descending' : 'ascending';
}
