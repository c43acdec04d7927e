// A live time-series chart (uPlot): created once, fed new data with
// setData, resized with its container, restyled with the theme. Its y axis
// contains the data, in round ticks of one unit (lib/axis), and its legend
// shows the newest values until the pointer picks another time.

import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisScale, maxOf, type AxisKind, type Scale } from '../../lib/axis';
import { useStore } from '../../lib/store';
import { resolvedTheme, settingsStore } from '../settings/settings';
import { describeChart } from './chartText';
import { lastIndexes } from './graphData';

export interface ChartSeries {
  label: string;
  /** A CSS custom property holding the colour, e.g. "--chart-1". */
  colorVar: string;
  values: (number | null)[];
}

export interface TimeChartProps {
  title: string;
  /** Times in seconds. */
  times: number[];
  series: ChartSeries[];
  windowSec: number;
  /** What the y axis counts: its unit and its ticks follow. */
  kind: AxisKind;
  /** The top of the y axis at least (100 for CPU %, the VM's memory); it grows with the data. */
  atLeast?: number;
  /** A line under the title saying the newest figures in words (the chart's text alternative). */
  summary?: string;
  height?: number;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Shows the newest values in the legend (when the pointer is not over the chart). */
function showLatest(u: uPlot): void {
  const times = u.data[0] as readonly number[] | undefined;
  if (!times || times.length === 0 || (u.cursor.idx !== null && u.cursor.idx !== undefined)) return;
  const idxs = lastIndexes(u.data.slice(1) as (number | null)[][]);
  u.setLegend({ idx: times.length - 1, idxs: [times.length - 1, ...idxs] }, false);
}

export function TimeChart({ title, times, series, windowSec, kind, atLeast, summary, height = 160 }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useStore(settingsStore, (s) => resolvedTheme(s.theme));
  const scale: Scale = useMemo(() => axisScale(kind, maxOf(...series.map((s) => s.values)), atLeast), [kind, series, atLeast]);
  const latest = useRef({ times, series, windowSec, scale });
  useLayoutEffect(() => {
    latest.current = { times, series, windowSec, scale };
  });
  const labels = series.map((s) => `${s.label}:${s.colorVar}`).join('|');

  // (Re)create the chart when the theme or the set of series changes.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const cur = latest.current;
    const axis = { stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--border'), width: 1 }, ticks: { stroke: cssVar('--border'), width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: {
        x: { time: true, range: (_u, _min, max) => [max - latest.current.windowSec, max] },
        y: { range: () => [0, latest.current.scale.max] },
      },
      axes: [
        { ...axis, size: 30 },
        {
          ...axis,
          size: 78,
          splits: () => latest.current.scale.ticks,
          values: (_u, splits) => splits.map((v) => latest.current.scale.format(v)),
        },
      ],
      series: [
        {},
        ...cur.series.map((s) => {
          const color = cssVar(s.colorVar);
          return {
            label: s.label,
            stroke: color,
            width: 1.5,
            fill: `${color}22`,
            points: { show: false },
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : latest.current.scale.value(v)),
          };
        }),
      ],
      hooks: {
        // Leaving the chart: back to the newest values rather than "—".
        setCursor: [(u) => showLatest(u)],
      },
    };
    const u = new uPlot(opts, [cur.times, ...cur.series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    showLatest(u);
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [theme, labels, height]);

  // New data: redraw without re-creating (also when the scale or window changed).
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData([times, ...series.map((s) => s.values)] as uPlot.AlignedData);
    showLatest(u);
  }, [times, series, scale, windowSec]);

  return (
    <figure className="chart" data-axis-unit={scale.unit} data-axis-max={scale.max} data-ticks={scale.ticks.map(scale.format).join('|')} data-window-seconds={windowSec}>
      <figcaption className="chart-title">
        {title}
        {summary && <span className="chart-summary">{summary}</span>}
      </figcaption>
      {/* The drawing is hidden from screen readers; this says what it shows. */}
      <p className="sr-only">{describeChart(title, windowSec, series, scale.value)}</p>
      <div ref={box} className="chart-box" aria-hidden="true" />
    </figure>
  );
}
