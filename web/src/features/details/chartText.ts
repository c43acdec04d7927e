// The words a screen reader hears for a chart (issue 13: "charts have no
// text alternative"): per series its newest value and its highest over the
// range shown, the figures a sighted reader takes from the lines.

import { formatDuration } from '../../lib/format';

export interface DescribedSeries {
  label: string;
  values: readonly (number | null)[];
}

/**
 * Describes a chart in one or two sentences: "CPU over the last 5 min:
 * now 12%, highest 43%." With several series each gets its own clause;
 * a series without data says so.
 */
export function describeChart(title: string, windowSec: number, series: readonly DescribedSeries[], value: (v: number) => string): string {
  const head = `${title} over the last ${formatDuration(windowSec * 1000)}`;
  const one = (s: DescribedSeries): string => {
    let newest: number | null = null;
    let highest = -Infinity;
    for (const v of s.values) {
      if (v === null || !Number.isFinite(v)) continue;
      newest = v;
      if (v > highest) highest = v;
    }
    return newest === null ? 'no data yet' : `now ${value(newest)}, highest ${value(highest)}`;
  };
  if (series.length === 1 && series[0]) return `${head}: ${one(series[0])}.`;
  return `${head}. ${series.map((s) => `${s.label}: ${one(s)}.`).join(' ')}`;
}
