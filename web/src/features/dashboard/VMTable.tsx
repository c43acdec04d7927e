// The compact table of VMs, virtualised like the grid: spacer rows stand in
// for the rows off screen.

import { useVirtualizer } from '@tanstack/react-virtual';
import { forwardRef, memo, useImperativeHandle, useMemo } from 'react';
import { Link } from 'wouter';
import type { VM } from '../../api/types';
import { Sparkline } from '../../components/Sparkline';
import { StateBadge } from '../../components/StateBadge';
import { formatKiB, formatPercent } from '../../lib/format';
import { vmHref, vmKey, type HostGroup } from '../../lib/vm';
import { describeOperation, describeProgress } from '../operations/operations';
import { QuickActions } from '../vms/QuickActions';
import { useRunningOperation } from '../vms/useRunningOperation';
import type { ViewHandle } from './CardGrid';
import { HostHeader } from './HostHeader';
import { revealRange } from './rows';
import { useVMLive } from './VMCard';

const ROW_HEIGHT = 46;
const GROUP_ROW_HEIGHT = 50;
const COLUMNS = 8;
/** The sticky header row. */
const HEAD_HEIGHT = 36;

type TableRow = { kind: 'group'; key: string; group: HostGroup } | { kind: 'vm'; key: string; vm: VM; down: boolean } | { kind: 'empty'; key: string; group: HostGroup };

const VMRow = memo(function VMRow({ vm, down, rowIndex }: { vm: VM; down: boolean; rowIndex: number }) {
  const { series, windowMs, cpu, mem, active } = useVMLive(vm);
  const op = useRunningOperation(vm.host, vm.uuid);
  return (
    <tr aria-label={vm.name} aria-rowindex={rowIndex} data-vm-key={vmKey(vm.host, vm.uuid)} className={down ? 'is-stale' : undefined}>
      <td className="col-name">
        <Link href={vmHref(vm.host, vm.uuid)} className="vm-name">
          {vm.name}
        </Link>
        {vm.snapshotCount > 0 && (
          <span className="badge" title={`${vm.snapshotCount} snapshots`}>
            {vm.snapshotCount}
          </span>
        )}
      </td>
      <td>
        <StateBadge state={vm.state} reason={vm.reason} />
        {op && (
          <span className="op-inline muted" title={describeOperation(op)}>
            {' '}
            {describeProgress(op)}
          </span>
        )}
      </td>
      <td className="num">{vm.vcpus}</td>
      <td className="num">{formatKiB(vm.memoryMaxKiB)}</td>
      <td className="col-spark">
        {active && (
          <>
            <Sparkline points={series} field="cpu" max={100} windowMs={windowMs} label={`CPU of ${vm.name}`} />
            <span className="metric-value">{formatPercent(cpu)}</span>
          </>
        )}
      </td>
      <td className="num">{active ? formatKiB(mem) : ''}</td>
      <td className="mono col-ip">{vm.addresses?.join(', ') ?? ''}</td>
      <td className="col-actions">
        <QuickActions vm={vm} disabled={down} />
      </td>
    </tr>
  );
});

interface Props {
  groups: HostGroup[];
  filtered: boolean;
  scrollEl: HTMLDivElement | null;
}

export const VMTable = forwardRef<ViewHandle, Props>(function VMTable({ groups, filtered, scrollEl }, ref) {
  const rows = useMemo(() => {
    const out: TableRow[] = [];
    for (const g of groups) {
      out.push({ kind: 'group', key: `g:${g.host}`, group: g });
      const down = g.info !== undefined && g.info.state !== 'connected';
      if (g.vms.length === 0) out.push({ kind: 'empty', key: `e:${g.host}`, group: g });
      for (const vm of g.vms) out.push({ kind: 'vm', key: vmKey(vm.host, vm.uuid), vm, down });
    }
    return out;
  }, [groups]);
  const index = useMemo(() => new Map(rows.map((r, i) => [r.key, i])), [rows]);

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

  const items = virtualizer.getVirtualItems();
  const top = items[0]?.start ?? 0;
  const last = items[items.length - 1];
  const bottom = last ? virtualizer.getTotalSize() - last.end : 0;

  return (
    // Only the rows on screen are in the DOM: the count and each row's place tell assistive technology about the rest (the header is row 1).
    <table className="vm-table" aria-label="Virtual machines" aria-rowcount={rows.length + 1}>
      <thead>
        <tr aria-rowindex={1}>
          <th scope="col">Name</th>
          <th scope="col">State</th>
          <th scope="col" className="num">
            vCPUs
          </th>
          <th scope="col" className="num">
            Memory
          </th>
          <th scope="col">CPU</th>
          <th scope="col" className="num">
            Memory used
          </th>
          <th scope="col">IP</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {top > 0 && (
          <tr aria-hidden="true" className="spacer">
            <td colSpan={COLUMNS} style={{ height: top }} />
          </tr>
        )}
        {items.map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          switch (row.kind) {
            case 'group':
              return (
                <tr key={item.key} className="table-group" aria-rowindex={item.index + 2}>
                  <th colSpan={COLUMNS} scope="colgroup">
                    <HostHeader group={row.group} filtered={filtered} />
                  </th>
                </tr>
              );
            case 'empty':
              return (
                <tr key={item.key} className="table-empty" aria-rowindex={item.index + 2}>
                  <td colSpan={COLUMNS} className="muted">
                    {row.group.total === 0 ? 'No VMs on this host.' : 'No VMs of this host match the filters.'}
                  </td>
                </tr>
              );
            case 'vm':
              return <VMRow key={item.key} vm={row.vm} down={row.down} rowIndex={item.index + 2} />;
          }
        })}
        {bottom > 0 && (
          <tr aria-hidden="true" className="spacer">
            <td colSpan={COLUMNS} style={{ height: bottom }} />
          </tr>
        )}
      </tbody>
    </table>
  );
});
