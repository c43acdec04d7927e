// Flattens host groups into the rows of the virtualised grid: a header per
// host, then rows of `columns` cards (or a note when a group is empty).

import type { VM } from '../../api/types';
import { vmKey, type HostGroup } from '../../resources/vm/model';

export type GridRow =
  | { kind: 'group'; key: string; group: HostGroup }
  | { kind: 'cards'; key: string; group: HostGroup; vms: VM[] }
  | { kind: 'empty'; key: string; group: HostGroup };

/** Whether a group's host is known and not connected. */
export function isDown(g: HostGroup): boolean {
  return g.info !== undefined && g.info.state !== 'connected';
}

export function buildRows(groups: readonly HostGroup[], columns: number): GridRow[] {
  const rows: GridRow[] = [];
  const cols = Math.max(1, columns);
  for (const g of groups) {
    // The key carries the state: a down host's header is taller, and sizes are cached by key.
    rows.push({ kind: 'group', key: `g:${g.host}:${isDown(g) ? 'down' : 'up'}`, group: g });
    if (g.vms.length === 0) {
      rows.push({ kind: 'empty', key: `e:${g.host}`, group: g });
      continue;
    }
    for (let i = 0; i < g.vms.length; i += cols) {
      const vms = g.vms.slice(i, i + cols);
      const first = vms[0];
      rows.push({ kind: 'cards', key: `c:${cols}:${first ? vmKey(first.host, first.uuid) : i}`, group: g, vms });
    }
  }
  return rows;
}

/** The row index holding each VM, for scrolling to it. */
export function rowIndexByVM(rows: readonly GridRow[]): Map<string, number> {
  const m = new Map<string, number>();
  rows.forEach((r, i) => {
    if (r.kind === 'cards') for (const vm of r.vms) m.set(vmKey(vm.host, vm.uuid), i);
  });
  return m;
}

/**
 * Scrolls el the least needed to show the band [start, end) (in content
 * pixels), keeping `pad` pixels clear above (e.g. under a sticky header).
 */
export function revealRange(el: HTMLElement, start: number, end: number, pad = 0): void {
  if (start - pad < el.scrollTop) el.scrollTop = Math.max(0, start - pad);
  else if (end > el.scrollTop + el.clientHeight) el.scrollTop = end - el.clientHeight;
}

/** How many cards of at least minWidth fit in width. */
export function columnsFor(width: number, minWidth: number, gap: number): number {
  return Math.max(1, Math.floor((width + gap) / (minWidth + gap)));
}
