// The stats store: a bounded, time-windowed series of samples per VM, fed by
// `stats` events and seeded once per VM from /stats. Components subscribe to
// one VM each, so a tick re-renders only the graphs that are on screen, and
// the store can hold notifications back ("every 10 s") or freeze them
// ("paused") without losing data.

import type { Sample } from './types';

/** One sample, compacted: time in ms since the epoch. */
export interface Point {
  t: number;
  cpu?: number;
  mem?: number;
  dr?: number;
  dw?: number;
  rx?: number;
  tx?: number;
}

export type GraphRefresh = 'live' | '10s' | 'paused';

const EMPTY: readonly Point[] = Object.freeze([]);

interface Series {
  points: Point[];
  snap: readonly Point[];
  stale: boolean;
  listeners: Set<() => void>;
}

export function toPoint(s: Sample): Point {
  const p: Point = { t: Date.parse(s.time) };
  if (s.cpuPercent !== undefined) p.cpu = s.cpuPercent;
  if (s.memoryUsedKiB !== undefined) p.mem = s.memoryUsedKiB;
  if (s.diskReadBps !== undefined) p.dr = s.diskReadBps;
  if (s.diskWriteBps !== undefined) p.dw = s.diskWriteBps;
  if (s.netRxBps !== undefined) p.rx = s.netRxBps;
  if (s.netTxBps !== undefined) p.tx = s.netTxBps;
  return p;
}

export class StatsStore {
  private series = new Map<string, Series>();
  private dirty = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private refresh: GraphRefresh = 'live';

  constructor(
    private windowMs = 5 * 60_000,
    private maxPoints = 2000,
  ) {}

  private get(key: string): Series {
    let s = this.series.get(key);
    if (!s) {
      s = { points: [], snap: EMPTY, stale: true, listeners: new Set() };
      this.series.set(key, s);
    }
    return s;
  }

  private prune(s: Series): void {
    const last = s.points[s.points.length - 1];
    if (!last) return;
    const cutoff = last.t - this.windowMs;
    let drop = 0;
    while (drop < s.points.length && (s.points[drop]?.t ?? 0) < cutoff) drop++;
    drop = Math.max(drop, s.points.length - this.maxPoints);
    if (drop > 0) s.points.splice(0, drop);
  }

  /** Appends the samples of one `stats` event. */
  push(host: string, samples: readonly (Sample & { uuid: string })[]): void {
    for (const sample of samples) {
      const key = `${host}/${sample.uuid}`;
      const s = this.get(key);
      const p = toPoint(sample);
      const last = s.points[s.points.length - 1];
      if (last && p.t <= last.t) {
        if (p.t === last.t) continue; // a duplicate
        // Out of order (rare): insert in place.
        const i = s.points.findIndex((q) => q.t >= p.t);
        if (s.points[i]?.t === p.t) continue;
        s.points.splice(i, 0, p);
      } else {
        s.points.push(p);
      }
      this.prune(s);
      this.dirty.add(key);
    }
    if (this.refresh === 'live') this.flush();
  }

  /** Merges history (from /stats) into a VM's series, and shows it at once. */
  seed(key: string, samples: readonly Sample[]): void {
    const s = this.get(key);
    const byTime = new Map<number, Point>();
    for (const sample of samples) {
      const p = toPoint(sample);
      if (!Number.isNaN(p.t)) byTime.set(p.t, p);
    }
    for (const p of s.points) byTime.set(p.t, p);
    s.points = [...byTime.values()].sort((a, b) => a.t - b.t);
    this.prune(s);
    this.dirty.delete(key);
    this.notify(s);
  }

  private notify(s: Series): void {
    if (s.listeners.size > 0) {
      // Freeze what is shown now: later samples wait for the next notification.
      s.snap = s.points.slice();
      s.stale = false;
    } else {
      s.stale = true;
    }
    for (const l of [...s.listeners]) l();
  }

  /** Tells subscribers of every changed series. */
  flush(): void {
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) {
      const s = this.series.get(key);
      if (s) this.notify(s);
    }
  }

  subscribe(key: string, listener: () => void): () => void {
    const s = this.get(key);
    s.listeners.add(listener);
    return () => s.listeners.delete(listener);
  }

  /** The series as last shown: stable between notifications. */
  snapshot(key: string): readonly Point[] {
    const s = this.series.get(key);
    if (!s) return EMPTY;
    if (s.stale) {
      s.snap = s.points.slice();
      s.stale = false;
    }
    return s.snap;
  }

  /** The newest sample received, shown or not. */
  latest(key: string): Point | undefined {
    const s = this.series.get(key);
    return s?.points[s.points.length - 1];
  }

  /** Whether any sample of this VM is known. */
  has(key: string): boolean {
    return (this.series.get(key)?.points.length ?? 0) > 0;
  }

  setRefresh(mode: GraphRefresh): void {
    if (mode === this.refresh) return;
    this.refresh = mode;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (mode === '10s') this.timer = setInterval(() => this.flush(), 10_000);
    if (mode === 'live') this.flush();
  }

  setWindow(ms: number): void {
    this.windowMs = ms;
  }

  get window(): number {
    return this.windowMs;
  }

  /** Drops a VM's series (it was removed). */
  forget(key: string): void {
    const s = this.series.get(key);
    if (!s) return;
    s.points = [];
    this.notify(s);
    if (s.listeners.size === 0) this.series.delete(key);
  }

  clear(): void {
    for (const key of [...this.series.keys()]) this.forget(key);
    this.dirty.clear();
  }
}

/** The app's one stats store. */
export const statsStore = new StatsStore();
