// A live time-series chart (uPlot): created once, fed new data with
// setData, resized with its container, restyled with the theme.

import { useEffect, useLayoutEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useStore } from '../../lib/store';
import { resolvedTheme, settingsStore } from '../settings/settings';

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
  format: (v: number) => string;
  /** The top of the y axis at least (100 for CPU %, the VM's memory); it grows with the data. */
  yMax?: number;
  height?: number;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function TimeChart({ title, times, series, windowSec, format, yMax, height = 160 }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useStore(settingsStore, (s) => resolvedTheme(s.theme));
  const latest = useRef({ times, series, windowSec, format, yMax });
  useLayoutEffect(() => {
    latest.current = { times, series, windowSec, format, yMax };
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
        y: {
          range: (_u, _min, max) => {
            const top = Math.max(latest.current.yMax ?? 0, Number.isFinite(max) ? max * 1.15 : 0);
            return [0, top > 0 ? top : 1];
          },
        },
      },
      axes: [
        { ...axis, size: 30 },
        { ...axis, size: 78, values: (_u, splits) => splits.map((v) => latest.current.format(v)) },
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
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : latest.current.format(v)),
          };
        }),
      ],
    };
    const u = new uPlot(opts, [cur.times, ...cur.series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [theme, labels, height]);

  // New data: redraw without re-creating.
  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <div ref={box} className="chart-box" aria-hidden="true" />
    </figure>
  );
}
