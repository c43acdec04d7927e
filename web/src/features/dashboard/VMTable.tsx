// The compact table of VMs: TanStack Table keeps the columns' sort and
// visibility (a header click sorts, the Columns menu hides; both are kept in
// the browser), and TanStack Virtual renders only the rows on screen, with
// spacer rows standing in for the rest, so that 500 VMs stay fast. Rows stay
// grouped by host; the sort applies within each host.

import {
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type OnChangeFn,
  type SortingState,
  type VisibilityState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Columns3, Info } from 'lucide-react';
import { forwardRef, memo, useCallback, useImperativeHandle, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { statsStore } from '../../api/stats';
import type { VM } from '../../api/types';
import { Sparkline } from '../../components/Sparkline';
import { StateBadge } from '../../components/StateBadge';
import { formatKiB, formatPercent } from '../../lib/format';
import { stateRank, vmHref, vmKey, type HostGroup } from '../../resources/vm/model';
import { describeOperation, describeProgress } from '../operations/operations';
import { QuickActions } from '../vms/QuickActions';
import { useRunningOperation } from '../vms/useRunningOperation';
import { useVMLive } from '../vms/useVMLive';
import type { ViewHandle } from './CardGrid';
import { HostHeader } from './HostHeader';
import { revealRange } from './rows';
import { ariaSort, HIDEABLE, loadTablePrefs, saveTablePrefs, type TableColumn } from './tablePrefs';
import { Button, Menu, MenuCheckboxItem, MenuLabel, SortHeader, Tip } from '../../ui';
import './table.css';
import { primaryIP, sortedAddresses, sourceLabel } from '../networks/addresses';

const ROW_HEIGHT = 46;
const GROUP_ROW_HEIGHT = 50;
/** The sticky header row. */
const HEAD_HEIGHT = 36;

/** What the server says when it has not read a VM's addresses (issue 15 brings them). */
const NO_ADDRESSES_TIP = 'Addresses of running VMs, from the guest agent, then DHCP leases, then ARP; none means none is known.';

type TableRow = { kind: 'group'; key: string; group: HostGroup } | { kind: 'vm'; key: string; vm: VM; down: boolean } | { kind: 'empty'; key: string; group: HostGroup };

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const latest = (vm: VM) => statsStore.latest(vmKey(vm.host, vm.uuid));

/** The columns: labels, what they sort by, whether they hide. Cells are drawn by VMRow (they need the row's live data). */
const COLUMNS: ColumnDef<VM>[] = [
  { id: 'name', header: 'Name', accessorFn: (vm) => vm.name, sortingFn: (a, b) => collator.compare(a.original.name, b.original.name), enableHiding: false },
  { id: 'state', header: 'State', accessorFn: (vm) => stateRank(vm.state) },
  { id: 'vcpus', header: 'vCPUs', accessorFn: (vm) => vm.vcpus },
  { id: 'memory', header: 'Memory', accessorFn: (vm) => vm.memoryMaxKiB },
  // Read when the rows are sorted (a sort or a list change), not on every tick: rows do not jump under the pointer.
  { id: 'cpu', header: 'CPU', accessorFn: (vm) => latest(vm)?.cpu ?? vm.stats?.cpuPercent ?? -1 },
  { id: 'memUsed', header: 'Memory used', accessorFn: (vm) => latest(vm)?.mem ?? vm.stats?.memoryUsedKiB ?? -1 },
  { id: 'ip', header: 'IP', accessorFn: (vm) => primaryIP(vm), sortingFn: (a, b) => collator.compare(primaryIP(a.original) || '~', primaryIP(b.original) || '~') },
  { id: 'actions', header: 'Actions', enableSorting: false, enableHiding: false },
];

const NUMERIC = new Set<string>(['vcpus', 'memory', 'memUsed']);

function IPCell({ vm }: { vm: VM }) {
  if (vm.addresses === undefined) {
    return (
      <span className="muted" title={NO_ADDRESSES_TIP}>
        <span aria-hidden>—</span>
        <span className="sr-only">not reported</span>
      </span>
    );
  }
  if (vm.addresses.length === 0) return <span className="muted">none</span>;
  const list = sortedAddresses(vm);
  return <span title={list.map((a) => `${a.ip}/${a.prefix} ${sourceLabel(a.source)}`).join('\n')}>{list.map((a) => a.ip).join(', ')}</span>;
}

const VMRow = memo(function VMRow({ vm, down, columns, rowIndex }: { vm: VM; down: boolean; columns: readonly string[]; rowIndex: number }) {
  const { series, windowMs, cpu, mem, active } = useVMLive(vm);
  const op = useRunningOperation(vm.host, vm.uuid);
  const cell = (id: string) => {
    switch (id as TableColumn) {
      case 'name':
        return (
          <td key={id} className="col-name">
            <Link href={vmHref(vm.host, vm.uuid)} className="vm-name">
              {vm.name}
            </Link>
            {vm.template && <span className="badge badge-plain">Template</span>}
            {vm.snapshotCount > 0 && (
              <span className="badge" title={`${vm.snapshotCount} snapshots`}>
                {vm.snapshotCount}
              </span>
            )}
          </td>
        );
      case 'state':
        return (
          <td key={id}>
            <StateBadge state={vm.state} reason={vm.reason} />
            {op && (
              <span className="op-inline muted" title={describeOperation(op)}>
                {' '}
                {describeProgress(op)}
              </span>
            )}
          </td>
        );
      case 'vcpus':
        return (
          <td key={id} className="num">
            {vm.vcpus}
          </td>
        );
      case 'memory':
        return (
          <td key={id} className="num">
            {formatKiB(vm.memoryMaxKiB)}
          </td>
        );
      case 'cpu':
        return (
          <td key={id} className="col-spark">
            {active && (
              <>
                <Sparkline points={series} field="cpu" max={100} windowMs={windowMs} label={`CPU of ${vm.name}`} />
                <span className="metric-value">{formatPercent(cpu)}</span>
              </>
            )}
          </td>
        );
      case 'memUsed':
        return (
          <td key={id} className="num">
            {active ? formatKiB(mem) : ''}
          </td>
        );
      case 'ip':
        return (
          <td key={id} className="mono col-ip">
            <IPCell vm={vm} />
          </td>
        );
      case 'actions':
        return (
          <td key={id} className="col-actions">
            <QuickActions vm={vm} disabled={down} />
          </td>
        );
    }
  };
  return (
    <tr aria-label={vm.name} aria-rowindex={rowIndex} data-vm-key={vmKey(vm.host, vm.uuid)} className={down ? 'is-stale' : undefined}>
      {columns.map(cell)}
    </tr>
  );
});

/** The menu that shows and hides columns. */
function ColumnsMenu({ hidden, onToggle }: { hidden: VisibilityState; onToggle: (id: string, visible: boolean) => void }) {
  const labels = new Map(COLUMNS.map((c) => [c.id ?? '', typeof c.header === 'string' ? c.header : (c.id ?? '')]));
  return (
    <Menu
      modal={false}
      align="end"
      trigger={
        <Button variant="ghost" size="sm" className="table-columns-trigger">
          <Columns3 size={14} aria-hidden /> Columns
        </Button>
      }
    >
      <MenuLabel>Show columns</MenuLabel>
      {HIDEABLE.map((id) => (
        <MenuCheckboxItem key={id} checked={hidden[id] !== false} onCheckedChange={(v) => onToggle(id, v)}>
          {labels.get(id) ?? id}
        </MenuCheckboxItem>
      ))}
    </Menu>
  );
}

interface Props {
  groups: HostGroup[];
  filtered: boolean;
  scrollEl: HTMLDivElement | null;
}

export const VMTable = forwardRef<ViewHandle, Props>(function VMTable({ groups, filtered, scrollEl }, ref) {
  const [prefs] = useState(loadTablePrefs);
  const [sorting, setSortingState] = useState<SortingState>(prefs.sorting);
  const [hidden, setHidden] = useState<VisibilityState>(prefs.hidden);
  const setSorting: OnChangeFn<SortingState> = useCallback(
    (u) =>
      setSortingState((old) => {
        const next = typeof u === 'function' ? u(old) : u;
        saveTablePrefs({ sorting: next, hidden });
        return next;
      }),
    [hidden],
  );
  const setVisibility: OnChangeFn<VisibilityState> = useCallback(
    (u) =>
      setHidden((old) => {
        const next = typeof u === 'function' ? u(old) : u;
        saveTablePrefs({ sorting, hidden: next });
        return next;
      }),
    [sorting],
  );

  const data = useMemo(() => groups.flatMap((g) => g.vms), [groups]);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Table is used as documented
  const table = useReactTable({
    data,
    columns: COLUMNS,
    state: { sorting, columnVisibility: hidden },
    onSortingChange: setSorting,
    onColumnVisibilityChange: setVisibility,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getRowId: (vm) => vmKey(vm.host, vm.uuid),
    enableSortingRemoval: false,
    sortDescFirst: false,
  });
  const sortedRows = table.getSortedRowModel().rows;
  // One array per set of columns, so that rows (memoised) redraw only when it changes.
  const visibleKey = table
    .getVisibleLeafColumns()
    .map((c) => c.id)
    .join(' ');
  const visible = useMemo(() => visibleKey.split(' '), [visibleKey]);
  const colCount = visible.length;

  const rows = useMemo(() => {
    const rank = new Map(sortedRows.map((r, i) => [r.id, i]));
    const out: TableRow[] = [];
    for (const g of groups) {
      out.push({ kind: 'group', key: `g:${g.host}`, group: g });
      const down = g.info !== undefined && g.info.state !== 'connected';
      if (g.vms.length === 0) out.push({ kind: 'empty', key: `e:${g.host}`, group: g });
      const vms = [...g.vms].sort((a, b) => (rank.get(vmKey(a.host, a.uuid)) ?? 0) - (rank.get(vmKey(b.host, b.uuid)) ?? 0));
      for (const vm of vms) out.push({ kind: 'vm', key: vmKey(vm.host, vm.uuid), vm, down });
    }
    return out;
  }, [groups, sortedRows]);
  const index = useMemo(() => new Map(rows.map((r, i) => [r.key, i])), [rows]);
  const anyAddresses = useMemo(() => data.some((vm) => vm.addresses !== undefined), [data]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollEl,
    estimateSize: (i) => (rows[i]?.kind === 'vm' ? ROW_HEIGHT : GROUP_ROW_HEIGHT),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 8,
    // The rows start below the table's header.
    scrollMargin: HEAD_HEIGHT,
  });

  useImperativeHandle(
    ref,
    () => ({
      scrollToVM(key) {
        const i = index.get(key);
        if (i === undefined || !scrollEl) return;
        let start = HEAD_HEIGHT;
        for (let r = 0; r < i; r++) start += rows[r]?.kind === 'vm' ? ROW_HEIGHT : GROUP_ROW_HEIGHT;
        revealRange(scrollEl, start, start + ROW_HEIGHT, HEAD_HEIGHT);
      },
    }),
    [index, rows, scrollEl],
  );

  // Item positions include the scroll margin (the header above the rows);
  // the spacers are inside the body, below the header: without taking the
  // margin off, the top spacer drew an empty band of the header's height.
  const items = virtualizer.getVirtualItems();
  const margin = virtualizer.options.scrollMargin;
  const top = Math.max(0, (items[0]?.start ?? margin) - margin);
  const last = items[items.length - 1];
  const bottom = last ? Math.max(0, virtualizer.getTotalSize() - (last.end - margin)) : 0;

  return (
    <table className="vm-table" aria-label="Virtual machines" aria-rowcount={rows.length + 1}>
      <thead>
        <tr aria-rowindex={1}>
          {table.getVisibleLeafColumns().map((col) => {
            const id = col.id;
            const label = typeof col.columnDef.header === 'string' ? col.columnDef.header : id;
            if (id === 'actions') {
              return (
                <th key={id} scope="col" className="col-actions-head">
                  <span className="sr-only">Actions</span>
                  <ColumnsMenu hidden={hidden} onToggle={(c, v) => table.getColumn(c)?.toggleVisibility(v)} />
                </th>
              );
            }
            const dir = ariaSort(sorting, id);
            return (
              <SortHeader
                key={id}
                scope="col"
                direction={dir}
                onSort={(e) => col.getToggleSortingHandler()?.(e)}
                sortTitle={`Sort by ${label.toLowerCase()}`}
                className={NUMERIC.has(id) ? 'num' : undefined}
                after={
                  id === 'ip' && !anyAddresses ? (
                    <Tip text={NO_ADDRESSES_TIP}>
                      <button type="button" className="th-info" aria-label="About the IP column">
                        <Info size={13} aria-hidden />
                      </button>
                    </Tip>
                  ) : undefined
                }
              >
                {label}
              </SortHeader>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {top > 0 && (
          <tr aria-hidden="true" className="spacer">
            <td colSpan={colCount} style={{ height: top }} />
          </tr>
        )}
        {items.map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          switch (row.kind) {
            case 'group':
              return (
                <tr key={item.key} className="table-group" aria-rowindex={item.index + 2}>
                  <th colSpan={colCount} scope="colgroup">
                    <HostHeader group={row.group} filtered={filtered} />
                  </th>
                </tr>
              );
            case 'empty':
              return (
                <tr key={item.key} className="table-empty" aria-rowindex={item.index + 2}>
                  <td colSpan={colCount} className="muted">
                    {row.group.total === 0 ? 'No VMs on this host.' : 'No VMs of this host match the filters.'}
                  </td>
                </tr>
              );
            case 'vm':
              return <VMRow key={item.key} vm={row.vm} down={row.down} columns={visible} rowIndex={item.index + 2} />;
          }
        })}
        {bottom > 0 && (
          <tr aria-hidden="true" className="spacer">
            <td colSpan={colCount} style={{ height: bottom }} />
          </tr>
        )}
      </tbody>
    </table>
  );
});
