// The logic behind DataTable, kept free of React so that it is tested alone:
// how two cell values compare, and the sort and hidden columns a table keeps
// in the browser (localStorage) between visits.

import type { SortingState, VisibilityState } from '@tanstack/react-table';

/** A value a column sorts by: text, a number, or nothing (sorted last either way). */
export type SortValue = string | number | null | undefined;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * Compares two sort values ascending: numbers by value, text by the
 * user's locale with digits as numbers ("vm2" before "vm10"), and a number
 * before text. Missing values (null, undefined, NaN) are left to the
 * caller, which keeps them last in both directions.
 */
export function compareSortValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return collator.compare(a ?? '', b ?? '');
}

/** Whether a sort value is missing (kept at the end whatever the direction). */
export function isMissing(v: SortValue): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || v === '';
}

/** A table's stored choice: one sorted column (or none: the order of the data) and the hidden columns. */
export interface TableState {
  sorting: SortingState;
  hidden: VisibilityState;
}

/** What a table allows, to check stored state against (columns change between versions). */
export interface TableShape {
  sortable: readonly string[];
  hideable: readonly string[];
  defaults: TableState;
}

/** Reads stored state, keeping only what names a sortable or hideable column of this table. */
export function parseTableState(raw: unknown, shape: TableShape): TableState {
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  let sorting = shape.defaults.sorting;
  if (Array.isArray(o.sorting)) {
    const first: unknown = o.sorting[0];
    if (first === undefined) sorting = [];
    else if (typeof first === 'object' && first !== null) {
      const s = first as Record<string, unknown>;
      if (typeof s.id === 'string' && shape.sortable.includes(s.id)) sorting = [{ id: s.id, desc: s.desc === true }];
    }
  }
  const hidden: VisibilityState = {};
  if (typeof o.hidden === 'object' && o.hidden !== null) {
    for (const [k, v] of Object.entries(o.hidden as Record<string, unknown>)) {
      if (shape.hideable.includes(k) && v === false) hidden[k] = false;
    }
  }
  return { sorting, hidden };
}

const PREFIX = 'kvmm.table.';

/** The stored state of the table named `key`, or the defaults. */
export function loadTableState(key: string, shape: TableShape): TableState {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    return raw ? parseTableState(JSON.parse(raw), shape) : shape.defaults;
  } catch {
    return shape.defaults;
  }
}

export function saveTableState(key: string, s: TableState): void {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify({ sorting: s.sorting, hidden: s.hidden }));
  } catch {
    // storage full or disabled: the choice lasts for this page only
  }
}

/** The aria-sort of a column header. */
export function ariaSortOf(sorting: SortingState, column: string): 'ascending' | 'descending' | 'none' {
  const s = sorting.find((x) => x.id === column);
  if (!s) return 'none';
  return s.desc ? 'descending' : 'ascending';
}

/** An IP address as a sort value: IPv4 as its number (10.0.0.9 before 10.0.0.10), anything else as text (after IPv4). */
export function addressSortValue(ip: string): SortValue {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return ip;
  return m.slice(1).reduce((acc, o) => acc * 256 + Number(o), 0);
}
