// The virtualised grid of VM cards: only the rows on screen (plus a few)
// are in the DOM, so 500 VMs scroll as smoothly as 5.

import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, useCallback, useImperativeHandle, useLayoutEffect, useMemo, useState } from 'react';
import type { HostGroup } from '../../resources/vm/model';
import { HostHeader } from './HostHeader';
import { buildRows, columnsFor, isDown, revealRange, rowIndexByVM, type GridRow } from './rows';
import { VMCard } from './VMCard';
import { hasQuickActions } from '../vms/QuickActions';
import { useAccess } from '../security/useAccess';

export interface ViewHandle {
  /** Scrolls a VM (by host/uuid key) into view. */
  scrollToVM(key: string): void;
}

export const CARD_MIN_WIDTH = 288;
export const CARD_HEIGHT = 204;
/** A card without quick actions (a viewer's): no empty band where they would be. */
export const CARD_HEIGHT_READONLY = 164;
const GAP = 14;
const GROUP_HEIGHT = 52;
/** A host that is not connected also shows why, on a second line. */
const GROUP_DOWN_HEIGHT = 74;
const EMPTY_HEIGHT = 56;
const PADDING_START = 8;

function rowHeight(r: GridRow | undefined, cardHeight = CARD_HEIGHT): number {
  switch (r?.kind) {
    case 'group':
      return isDown(r.group) ? GROUP_DOWN_HEIGHT : GROUP_HEIGHT;
    case 'empty':
      return EMPTY_HEIGHT;
    default:
      return cardHeight + GAP;
  }
}

/**
 * Tracks an element's content width. The element comes as a value (from a
 * callback ref held in state), not a ref object: a child's layout effect
 * runs before its parent's ref is attached.
 */
export function useWidth(el: HTMLElement | null): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    if (!el) return;
    const measure = () => setWidth(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [el]);
  return width;
}

interface Props {
  groups: HostGroup[];
  filtered: boolean;
  scrollEl: HTMLDivElement | null;
}

export const CardGrid = forwardRef<ViewHandle, Props>(function CardGrid({ groups, filtered, scrollEl }, ref) {
  const width = useWidth(scrollEl);
  // 2 × 20 px of padding around the grid.
  const columns = columnsFor(Math.max(0, width - 40), CARD_MIN_WIDTH, GAP);
  const rows = useMemo(() => buildRows(groups, columns), [groups, columns]);
  const index = useMemo(() => rowIndexByVM(rows), [rows]);
  // Each card's place among all cards shown (aria-posinset/setsize): only those on screen are in the DOM.
  const total = useMemo(() => groups.reduce((n, g) => n + g.vms.length, 0), [groups]);
  const firstOfRow = useMemo(() => {
    const m = new Map<string, number>();
    let n = 0;
    for (const r of rows) {
      m.set(r.key, n);
      if (r.kind === 'cards') n += r.vms.length;
    }
    return m;
  }, [rows]);
  const cardHeight = hasQuickActions(useAccess()) ? CARD_HEIGHT : CARD_HEIGHT_READONLY;
  const heightOf = useCallback((r: GridRow | undefined) => rowHeight(r, cardHeight), [cardHeight]);

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is used as documented
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollEl,
    estimateSize: (i) => heightOf(rows[i]),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 3,
    paddingStart: PADDING_START,
    paddingEnd: 16,
  });

  useImperativeHandle(
    ref,
    () => ({
      scrollToVM(key) {
        // Rows have fixed heights, so their offsets are known without measuring.
        const i = index.get(key);
        if (i === undefined || !scrollEl) return;
        let start = PADDING_START;
        for (let r = 0; r < i; r++) start += heightOf(rows[r]);
        revealRange(scrollEl, start, start + heightOf(rows[i]), GROUP_HEIGHT);
      },
    }),
    [index, rows, scrollEl, heightOf],
  );
  // The role (so the cards' height) is known after the first render at the latest.
  useLayoutEffect(() => virtualizer.measure(), [virtualizer, cardHeight]);

  return (
    <div className="vm-grid" style={{ height: virtualizer.getTotalSize() }}>
      {virtualizer.getVirtualItems().map((item) => {
        const row = rows[item.index];
        if (!row) return null;
        const style = { transform: `translateY(${item.start}px)`, height: item.size };
        switch (row.kind) {
          case 'group':
            return (
              <div key={item.key} className="grid-row grid-row-group" style={style}>
                <HostHeader group={row.group} filtered={filtered} />
              </div>
            );
          case 'empty':
            return (
              <div key={item.key} className="grid-row grid-row-empty muted" style={style}>
                {row.group.total === 0 ? 'No VMs on this host.' : 'No VMs of this host match the filters.'}
              </div>
            );
          case 'cards': {
            const down = isDown(row.group);
            return (
              <div
                key={item.key}
                className="grid-row grid-row-cards"
                style={{ ...style, gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}
              >
                {row.vms.map((vm, i) => (
                  <VMCard key={vm.uuid} vm={vm} hostDown={down} pos={(firstOfRow.get(row.key) ?? 0) + i + 1} setSize={total} />
                ))}
              </div>
            );
          }
        }
      })}
    </div>
  );
});
