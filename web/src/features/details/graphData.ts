// Pure helpers of the Overview's graphs (no uPlot here, so tests run them in jsdom).

import type { Point } from '../../api/stats';
import type { HistoryInfo } from '../../api/types';
import { formatDuration } from '../../lib/format';

/**
 * The points to draw: the server's history up to its newest point, then the
 * live points after it, within the range ending at the newest point.
 */
export function mergeSeries(history: readonly Point[], live: readonly Point[], rangeSec: number): Point[] {
  const lastHist = history.length > 0 ? (history[history.length - 1]?.t ?? -Infinity) : -Infinity;
  const out = [...history, ...live.filter((p) => p.t > lastHist)];
  const end = out[out.length - 1]?.t;
  if (end === undefined) return out;
  const start = end - rangeSec * 1000;
  return out.filter((p) => p.t >= start);
}

/** A span in its largest whole unit: "2 s", "30 s", "10 min", "24 h". */
export function spanWords(sec: number): string {
  if (sec >= 3600 && sec % 3600 === 0) return `${sec / 3600} h`;
  if (sec >= 60 && sec % 60 === 0) return `${sec / 60} min`;
  return formatDuration(sec * 1000);
}

/** Says how far the server keeps history, from its tiers: "every 2 s for 5 min, 30-s averages for 1 h, …". */
export function describeHistory(info: HistoryInfo | undefined): string {
  if (!info || info.tiers.length === 0) return '';
  const parts = info.tiers.map((t, i) =>
    i === 0 ? `every ${spanWords(t.stepSeconds)} for ${spanWords(t.spanSeconds)}` : `${spanWords(t.stepSeconds)} averages for ${spanWords(t.spanSeconds)}`,
  );
  const longest = info.tiers[info.tiers.length - 1];
  return `The server keeps up to ${spanWords(longest?.spanSeconds ?? 0)} of history (${parts.join(', ')}), in memory: it starts again when the server restarts.`;
}

/** The index of each series' newest value (null when it has none). */
export function lastIndexes(cols: readonly (readonly (number | null)[])[]): (number | null)[] {
  return cols.map((c) => {
    for (let i = c.length - 1; i >= 0; i--) if (c[i] != null) return i;
    return null;
  });
}

