// The Overview's live graphs: CPU, memory, disk I/O and network I/O, from
// the VM's history and then every stats event.

import { useMemo } from 'react';
import type { Point } from '../../api/stats';
import type { VM } from '../../api/types';
import { formatBytes, formatPercent, formatRate } from '../../lib/format';
import { useStore } from '../../lib/store';
import { isActive, vmKey } from '../../lib/vm';
import { settingsStore } from '../settings/settings';
import { useHistory, useSeries } from '../vms/useSeries';
import { TimeChart } from './TimeChart';

type Field = 'cpu' | 'mem' | 'dr' | 'dw' | 'rx' | 'tx';

/** Column data for uPlot: times in seconds and one array per field (null for missing). */
export function toColumns(points: readonly Point[], fields: readonly Field[], scale: Partial<Record<Field, number>> = {}) {
  const times = points.map((p) => p.t / 1000);
  const cols = fields.map((f) => points.map((p) => (p[f] === undefined ? null : (p[f] ?? 0) * (scale[f] ?? 1))));
  return { times, cols };
}

export function LiveGraphs({ vm }: { vm: VM }) {
  const key = vmKey(vm.host, vm.uuid);
  const active = isActive(vm.state);
  useHistory(vm.host, vm.uuid, active, 0);
  const points = useSeries(key);
  const windowSec = useStore(settingsStore, (s) => s.graphWindowMinutes * 60);
  const refresh = useStore(settingsStore, (s) => s.graphRefresh);

  const data = useMemo(() => {
    const { times, cols } = toColumns(points, ['cpu', 'mem', 'dr', 'dw', 'rx', 'tx'], { mem: 1024 });
    const [cpu = [], mem = [], dr = [], dw = [], rx = [], tx = []] = cols;
    return {
      times,
      cpu: [{ label: 'CPU', colorVar: '--chart-1', values: cpu }],
      mem: [{ label: 'Used', colorVar: '--chart-2', values: mem }],
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

  if (!active && points.length === 0) {
    return <p className="muted">Graphs appear while the VM runs.</p>;
  }
  const memMax = (vm.memoryKiB || vm.memoryMaxKiB) * 1024;
  return (
    <>
      {refresh !== 'live' && (
        <p className="muted small">Graphs {refresh === 'paused' ? 'are paused' : 'redraw every 10 seconds'} (see Settings).</p>
      )}
      <div className="charts">
        <TimeChart title="CPU" times={data.times} series={data.cpu} windowSec={windowSec} format={(v) => formatPercent(v)} yMax={100} />
        <TimeChart title="Memory" times={data.times} series={data.mem} windowSec={windowSec} format={(v) => formatBytes(v)} yMax={memMax} />
        <TimeChart title="Disk I/O" times={data.times} series={data.disk} windowSec={windowSec} format={(v) => formatRate(v)} yMax={1024} />
        {vm.nics && vm.nics.length > 0 ? (
          <TimeChart title="Network I/O" times={data.times} series={data.net} windowSec={windowSec} format={(v) => formatRate(v)} yMax={1024} />
        ) : (
          <figure className="chart chart-empty">
            <figcaption className="chart-title">Network I/O</figcaption>
            <p className="muted">This VM has no network interfaces.</p>
          </figure>
        )}
      </div>
    </>
  );
}
