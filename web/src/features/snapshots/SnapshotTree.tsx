// The snapshot tree: a WAI-ARIA tree (flat treeitems with aria-level,
// aria-setsize and aria-posinset; one tab stop that follows the selection;
// arrow keys, Home/End, * to expand siblings), with a context menu on
// every node (right click, the Menu key or Shift+F10).

import { Camera, ChevronDown, ChevronRight, LoaderCircle, MapPin } from 'lucide-react';
import { ContextMenu } from 'radix-ui';
import { ContextMenuContent } from '../../ui';
import { memo, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { formatDateTime } from '../../lib/format';
import { stateLabel } from '../../resources/vm/model';
import { LIVE_ID, snapshotStateLabel, treeKey, type Row } from './model';

export interface TreeHandlers {
  onSelect: (id: string) => void;
  onToggle: (id: string, expand: boolean) => void;
  onExpandMany: (ids: string[]) => void;
  /** Enter: move to the details of the node. */
  onActivate: (id: string) => void;
  /** The Delete key on a snapshot. */
  onDeleteKey: (id: string) => void;
}

interface RowProps {
  row: Row;
  selected: boolean;
  busy: boolean;
  vmState: string;
}

// Rows take no handlers (the tree listens for all of them), so that a new
// selection re-renders two rows, not two hundred.
const TreeRow = memo(function TreeRow({ row, selected, busy, vmState }: RowProps) {
  const s = row.snapshot;
  const live = row.id === LIVE_ID;
  const cls = ['snap-row', selected && 'is-selected', row.isCurrent && 'is-current', live && 'is-live'].filter(Boolean).join(' ');
  return (
    <div
      role="treeitem"
      className={cls}
      data-id={row.id}
      aria-level={row.level}
      aria-setsize={row.setsize}
      aria-posinset={row.posinset}
      aria-expanded={row.hasChildren ? row.expanded : undefined}
      aria-selected={selected}
      aria-busy={busy || undefined}
      tabIndex={selected ? 0 : -1}
    >
      {row.guides.map((g, i) => (
        <span key={i} className={`snap-guide snap-guide-${g}`} aria-hidden="true" />
      ))}
      <span className="snap-chevron" aria-hidden="true">
        {row.hasChildren && (row.expanded ? <ChevronDown size={14} /> : <ChevronRight size={14} />)}
      </span>
      <span className={`snap-dot${row.chained ? ' up' : ''}${row.chainsDown ? ' down' : ''}`} aria-hidden="true">
        {live ? <MapPin size={14} /> : <Camera size={13} />}
      </span>
      {s ? (
        // The spaces between the parts keep the accessible name readable ("s1 current Nov 26…"); flex layout ignores them.
        <span className="snap-label">
          <span className="snap-name">{s.name}</span>{' '}
          {row.isCurrent && <span className="badge snap-current-badge">current</span>}{' '}
          <span className="snap-meta">
            {formatDateTime(s.creationTime)} · {snapshotStateLabel(s.state)}
            {s.memory ? ' · with memory' : ' · disks only'}
          </span>
        </span>
      ) : (
        <span className="snap-label">
          <span className="snap-name">You are here</span>{' '}
          <span className="snap-meta">live state · {stateLabel(vmState)}</span>
        </span>
      )}
      {' '}
      {!row.expanded && row.hiddenCount > 0 && (
        <span className="badge badge-plain snap-hidden">
          +{row.hiddenCount}
          <span className="sr-only"> hidden below</span>
        </span>
      )}
      {busy && <LoaderCircle size={14} className="spin snap-busy" aria-hidden="true" />}
    </div>
  );
});

export interface SnapshotTreeProps extends TreeHandlers {
  rows: Row[];
  selected: string;
  /** The node an operation works on (a spinner). */
  busyId: string | undefined;
  vmState: string;
  label: string;
  /** The context menu's items for a node. */
  menu: (id: string) => ReactNode;
}

/** Finds the row element of an id without building a selector from a name (names may hold any character). */
function rowElement(tree: HTMLElement | null, id: string): HTMLElement | null {
  if (!tree) return null;
  for (const el of tree.querySelectorAll<HTMLElement>('[role="treeitem"]')) if (el.dataset.id === id) return el;
  return null;
}

export function SnapshotTree({ rows, selected, busyId, vmState, label, menu, onSelect, onToggle, onExpandMany, onActivate, onDeleteKey }: SnapshotTreeProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [menuFor, setMenuFor] = useState<string | null>(null);

  const focusRow = (id: string) => {
    onSelect(id);
    // The row is on screen already (moves only go to visible rows).
    rowElement(ref.current, id)?.focus();
  };

  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    const id = target.closest<HTMLElement>('[role="treeitem"]')?.dataset.id;
    if (id === undefined) return;
    const row = rows.find((r) => r.id === id);
    if (target.closest('.snap-chevron') && row?.hasChildren) onToggle(id, !row.expanded);
    focusRow(id);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = (e.target as HTMLElement).closest<HTMLElement>('[role="treeitem"]');
    const id = target?.dataset.id;
    if (id === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      // Open the menu at the row, as a right click there would.
      e.preventDefault();
      const r = target?.getBoundingClientRect();
      target?.dispatchEvent(new window.MouseEvent('contextmenu', { bubbles: true, cancelable: true, clientX: (r?.left ?? 0) + 40, clientY: r?.bottom ?? 0 }));
      return;
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      onActivate(id);
      return;
    }
    if (e.key === 'Delete' && !e.shiftKey) {
      // In the tree, Delete means this snapshot, not the VM (the page's Delete).
      e.preventDefault();
      if (id !== LIVE_ID) onDeleteKey(id);
      return;
    }
    const move = treeKey(rows, id, e.key);
    switch (move.kind) {
      case 'none':
        return;
      case 'focus':
        focusRow(move.id);
        break;
      case 'expand':
        onToggle(move.id, true);
        break;
      case 'collapse':
        onToggle(move.id, false);
        break;
      case 'expandSiblings':
        onExpandMany(move.ids);
        break;
    }
    e.preventDefault();
  };

  return (
    <ContextMenu.Root
      modal={false}
      onOpenChange={(open) => {
        if (!open) setMenuFor(null);
      }}
    >
      <ContextMenu.Trigger asChild>
        <div
          ref={ref}
          role="tree"
          aria-label={label}
          className="snap-tree"
          onKeyDown={onKeyDown}
          onClick={onClick}
          onContextMenu={(e) => {
            const id = (e.target as HTMLElement).closest<HTMLElement>('[role="treeitem"]')?.dataset.id;
            if (id === undefined) {
              // Not on a node: no menu (preventing the default also keeps Radix from opening an empty one).
              e.preventDefault();
              return;
            }
            setMenuFor(id);
            focusRow(id);
          }}
        >
          {rows.map((row) => (
            <TreeRow key={row.id} row={row} selected={row.id === selected} busy={row.id === busyId} vmState={vmState} />
          ))}
        </div>
      </ContextMenu.Trigger>
      <ContextMenuContent aria-label="Snapshot actions" onCloseAutoFocus={(e) => {
        // Back to the node the menu was for, unless an action opened a dialog (which takes focus itself).
        e.preventDefault();
        if (!document.querySelector('[role="dialog"], [role="alertdialog"]')) rowElement(ref.current, selected)?.focus();
      }}>
        {menuFor !== null && menu(menuFor)}
      </ContextMenuContent>
    </ContextMenu.Root>
  );
}
