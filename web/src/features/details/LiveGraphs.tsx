// The Overview's live graphs: CPU, memory, disk I/O and network I/O over a
// chosen time range (5 min, 1 h, 24 h): the server's history for the range
// (every tick for the last minutes, averages before), then every stats
// event on top.

import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, vmPath } from '../../api/client';
import { toPoint, type Point } from '../../api/stats';
import type { HistoryInfo, Sample, VM } from '../../api/types';
import { formatDateTime, formatPercent, formatRate } from '../../lib/format';
import { formatUsedOf } from '../../lib/memory';
import { formatKiB } from '../../lib/format';
import { useStore } from '../../lib/store';
import { isActive, vmKey } from '../../resources/vm/model';
import { settingsStore } from '../settings/settings';
import { useHistory, useSeries } from '../vms/useSeries';
import { describeHistory, mergeSeries } from './graphData';
import { TimeChart } from './TimeChart';
import { Button } from '../../ui';

type Field = 'cpu' | 'mem' | 'rss' | 'dr' | 'dw' | 'rx' | 'tx';

/** Column data for uPlot: times in seconds and one array per field (null for missing). */
export function toColumns(points: readonly Point[], fields: readonly Field[], scale: Partial<Record<Field, number>> = {}) {
  const times = points.map((p) => p.t / 1000);
  const cols = fields.map((f) => points.map((p) => (p[f] === undefined ? null : (p[f] ?? 0) * (scale[f] ?? 1))));
  return { times, cols };
}

/** The time ranges offered, and how often their server history is read again. */
export const RANGES = [
  { id: '5m', label: '5 min', words: 'the last 5 minutes', sec: 300, refetchMs: false as const },
  { id: '1h', label: '1 h', words: 'the last hour', sec: 3600, refetchMs: 60_000 },
  { id: '24h', label: '24 h', words: 'the last 24 hours', sec: 86_400, refetchMs: 600_000 },
] as const;
export type RangeId = (typeof RANGES)[number]['id'];

export function LiveGraphs({ vm }: { vm: VM }) {
  const key = vmKey(vm.host, vm.uuid);
  const active = isActive(vm.state);
  // Live ticks come from the store (its own history load fills the gap
  // before the first event).
  useHistory(vm.host, vm.uuid, active, 0);
  const live = useSeries(key);
  const refresh = useStore(settingsStore, (s) => s.graphRefresh);
  const [rangeId, setRange] = useState<RangeId>('5m');
  const range = RANGES.find((r) => r.id === rangeId) ?? RANGES[0];

  const hist = useQuery({
    queryKey: ['vm-stats', vm.host, vm.uuid, range.id],
    queryFn: ({ signal }) => api<{ samples: Sample[] | null; history?: HistoryInfo }>(`${vmPath(vm.host, vm.uuid)}/stats?range=${range.id}`, { signal }),
    refetchInterval: range.refetchMs,
    staleTime: range.refetchMs || 30_000,
  });
  const histPoints = useMemo(() => (hist.data?.samples ?? []).map(toPoint).filter((p) => !Number.isNaN(p.t)), [hist.data]);
  const points = useMemo(() => mergeSeries(histPoints, live, range.sec), [histPoints, live, range.sec]);

  const data = useMemo(() => {
    const { times, cols } = toColumns(points, ['cpu', 'mem', 'rss', 'dr', 'dw', 'rx', 'tx'], { mem: 1024, rss: 1024 });
    const [cpu = [], mem = [], rss = [], dr = [], dw = [], rx = [], tx = []] = cols;
    return {
      times,
      cpu: [{ label: 'CPU', colorVar: '--chart-1', values: cpu }],
      mem: [
        { label: 'Guest uses', colorVar: '--chart-2', values: mem },
        { label: 'Host (QEMU resident)', colorVar: '--chart-4', values: rss },
      ],
      disk: [
        { label: 'Read', colorVar: '--chart-1', values: dr },
        { label: 'Write', colorVar: '--chart-3', values: dw },
      ],
      net: [
        { label: 'Received', colorVar: '--chart-2', values: rx },
        { label: 'Sent', colorVar: '--chart-4', values: tx },
      ],
    };
  }, [points]);

  if (!active && points.length === 0 && !hist.isPending) {
    return <p className="muted">Graphs appear while the VM runs.</p>;
  }
  const memBytes = (vm.memoryKiB || vm.memoryMaxKiB) * 1024;
  const last = [...points].reverse();
  const newest = <K extends Field>(f: K) => last.find((p) => p[f] !== undefined)?.[f];
  const memLast = last.find((p) => p.mem !== undefined);
  const rssLast = newest('rss');
  const memSummary = [
    memLast ? `guest uses ${formatUsedOf(memLast.mem, memLast.memTotal)}` : 'the guest reports no memory use',
    rssLast !== undefined ? `host holds ${formatKiB(rssLast)}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const oldest = hist.data?.history?.oldest;
  const hasNICs = (vm.nics?.length ?? 0) > 0;
  return (
    <>
      <div className="graph-toolbar">
        <div className="range-group" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <Button key={r.id} size="sm" pressedLook={r.id === range.id} aria-pressed={r.id === range.id} onClick={() => setRange(r.id)}>
              {r.label}
            </Button>
          ))}
        </div>
        <p className="muted small graph-note" data-testid="history-note">
          Showing {range.words}. {describeHistory(hist.data?.history)}
          {oldest ? ` This VM's history goes back to ${formatDateTime(oldest)}.` : ''}
        </p>
      </div>
      {refresh !== 'live' && (
        <p className="muted small">Graphs {refresh === 'paused' ? 'are paused' : 'redraw every 10 seconds'} (see Settings).</p>
      )}
      <div className="charts">
        <TimeChart title="CPU" times={data.times} series={data.cpu} windowSec={range.sec} kind="percent" atLeast={100} summary={`now ${formatPercent(newest('cpu'))}`} />
        <TimeChart title="Memory" times={data.times} series={data.mem} windowSec={range.sec} kind="bytes" atLeast={memBytes} summary={memSummary} />
        <TimeChart
          title="Disk I/O"
          times={data.times}
          series={data.disk}
          windowSec={range.sec}
          kind="rate"
          summary={`read ${formatRate(newest('dr'))} · write ${formatRate(newest('dw'))}`}
        />
        {hasNICs && (
          <TimeChart
            title="Network I/O"
            times={data.times}
            series={data.net}
            windowSec={range.sec}
            kind="rate"
            summary={`received ${formatRate(newest('rx'))} · sent ${formatRate(newest('tx'))}`}
          />
        )}
      </div>
      {!hasNICs && <p className="muted small charts-note">Network I/O: this VM has no network interfaces.</p>}
    </>
  );
}
