// A tiny SVG line + area graph of one field of a VM's stats series. Cheap
// enough for hundreds of cards; the details page uses uPlot instead.

import { memo, useMemo } from 'react';
import type { Point } from '../api/stats';
import { formatKiB, formatPercent } from '../lib/format';

export interface SparklineProps {
  points: readonly Point[];
  field: 'cpu' | 'mem';
  /** The value at the top of the graph. */
  max: number;
  windowMs: number;
  label: string;
  className?: string;
}

const W = 120;
const H = 28;

/** The shortest time span a sparkline shows, so that a few samples do not fill it. */
export const MIN_SPAN_MS = 30_000;

/**
 * Builds the SVG path of a series: x by time over the span ending at the
 * newest point (the data's span, between MIN_SPAN_MS and windowMs), y by value.
 */
export function sparkPath(points: readonly Point[], field: 'cpu' | 'mem', max: number, windowMs: number): { line: string; area: string } {
  const last = points[points.length - 1];
  const first = points[0];
  if (!last || !first || max <= 0) return { line: '', area: '' };
  const span = Math.min(windowMs, Math.max(MIN_SPAN_MS, last.t - first.t));
  const start = last.t - span;
  let line = '';
  let firstX: number | null = null;
  let lastX = 0;
  for (const p of points) {
    const v = p[field];
    if (v === undefined || p.t < start) continue;
    const x = ((p.t - start) / span) * W;
    const y = H - Math.min(1, Math.max(0, v / max)) * (H - 2) - 1;
    line += `${firstX === null ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
    firstX ??= x;
    lastX = x;
  }
  if (firstX === null) return { line: '', area: '' };
  return { line, area: `${line}L${lastX.toFixed(1)},${H}L${firstX.toFixed(1)},${H}Z` };
}

/**
 * The graph's text alternative: its label and the newest value it draws
 * ("CPU of web, now 12%"; memory in KiB as the stats give it), the label
 * alone before any.
 */
export function sparkLabel(label: string, points: readonly Point[], field: 'cpu' | 'mem'): string {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i]?.[field];
    if (v === undefined) continue;
    return `${label}, now ${field === 'cpu' ? formatPercent(v) : formatKiB(v)}`;
  }
  return label;
}

export const Sparkline = memo(function Sparkline({ points, field, max, windowMs, label, className }: SparklineProps) {
  const { line, area } = useMemo(() => sparkPath(points, field, max, windowMs), [points, field, max, windowMs]);
  return (
    <svg className={`spark spark-${field}${className ? ` ${className}` : ''}`} viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={sparkLabel(label, points, field)}>
      {area && <path className="spark-area" d={area} />}
      {line && <path className="spark-line" d={line} vectorEffect="non-scaling-stroke" />}
    </svg>
  );
});
