// The stats store: a bounded, time-windowed series of samples per VM, fed by
// `stats` events and seeded once per VM from /stats. Components subscribe to
// one VM each, so a tick re-renders only the graphs that are on screen, and
// the store can hold notifications back ("every 10 s") or freeze them
// ("paused") without losing data.
//
// Idle cost (issue 13): notifications are coalesced into one flush per
// animation frame (none while the tab is hidden: browsers do not run
// frames then), and series nobody has watched for a while are not kept:
// only their newest raw sample is, parsed when asked for, and their history
// is fetched again when a graph shows them.

import type { Sample } from './types';

/** One sample, compacted: time in ms since the epoch. */
export interface Point {
  t: number;
  cpu?: number;
  /** KiB the guest uses (its balloon driver's figures), of memTotal. */
  mem?: number;
  memTotal?: number;
  /** KiB resident on the host (QEMU's RSS). */
  rss?: number;
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
  /** When the last listener left (ms since the epoch); 0: never watched. */
  unwatched: number;
  /** Not kept (nobody watched it lately): points is empty, raw the newest sample. */
  cold: boolean;
  /** Whether history from /stats was merged in (since the last forget). */
  seeded?: boolean;
  raw?: Sample | undefined;
}

/** Options of a StatsStore. */
export interface StatsStoreOptions {
  /**
   * Runs a flush of notifications: at once by default; the app's store
   * waits for the next animation frame, so that all the series of one
   * event (or of several events in one frame) are drawn once.
   */
  schedule?: (flush: () => void) => void;
  /** After how long without a listener a series is no longer kept (default: always kept). */
  coldAfterMs?: number;
  now?: () => number;
}

export function toPoint(s: Sample): Point {
  const p: Point = { t: Date.parse(s.time) };
  if (s.cpuPercent !== undefined) p.cpu = s.cpuPercent;
  if (s.memoryUsedKiB !== undefined) p.mem = s.memoryUsedKiB;
  if (s.memoryTotalKiB !== undefined) p.memTotal = s.memoryTotalKiB;
  if (s.memoryRssKiB !== undefined) p.rss = s.memoryRssKiB;
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
  private scheduled = false;
  private readonly schedule: (flush: () => void) => void;
  private readonly coldAfterMs: number;
  private readonly now: () => number;

  constructor(
    private windowMs = 5 * 60_000,
    private maxPoints = 2000,
    opts: StatsStoreOptions = {},
  ) {
    this.schedule = opts.schedule ?? ((f) => f());
    this.coldAfterMs = opts.coldAfterMs ?? Infinity;
    this.now = opts.now ?? Date.now;
  }

  private get(key: string): Series {
    let s = this.series.get(key);
    if (!s) {
      s = { points: [], snap: EMPTY, stale: true, listeners: new Set(), unwatched: 0, cold: false };
      this.series.set(key, s);
    }
    return s;
  }

  /** Whether a series should no longer be kept: nobody watched it for coldAfterMs. */
  private goesCold(s: Series, now: number): boolean {
    return s.listeners.size === 0 && this.coldAfterMs !== Infinity && now - s.unwatched > this.coldAfterMs;
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
    const now = this.now();
    for (const sample of samples) {
      const key = `${host}/${sample.uuid}`;
      const s = this.get(key);
      if (this.goesCold(s, now)) {
        // Off screen for a while: keep the newest sample unparsed.
        s.raw = sample;
        if (!s.cold) {
          s.cold = true;
          s.points = [];
          s.snap = EMPTY;
          s.stale = false;
        }
        continue;
      }
      s.raw = undefined;
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
    if (this.refresh === 'live') this.requestFlush();
  }

  /** Flushes soon (see StatsStoreOptions.schedule), once however often asked meanwhile. */
  private requestFlush(): void {
    if (this.scheduled || this.dirty.size === 0) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      if (this.refresh === 'live') this.flush();
    });
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
    if (s.raw) {
      const p = toPoint(s.raw);
      if (!Number.isNaN(p.t)) byTime.set(p.t, p);
    }
    s.raw = undefined;
    s.cold = false;
    s.seeded = true;
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
    return () => {
      s.listeners.delete(listener);
      if (s.listeners.size === 0) s.unwatched = this.now();
    };
  }

  /** Whether a series lacks its history: never loaded, or dropped while nobody watched it. */
  needsHistory(key: string): boolean {
    const s = this.series.get(key);
    return !s || s.cold || !s.seeded;
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
    if (s?.raw) return toPoint(s.raw);
    return s?.points[s.points.length - 1];
  }

  /** Whether any sample of this VM is known. */
  has(key: string): boolean {
    const s = this.series.get(key);
    return s !== undefined && (s.points.length > 0 || s.raw !== undefined);
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
    s.raw = undefined;
    s.seeded = false;
    this.notify(s);
    if (s.listeners.size === 0) this.series.delete(key);
  }

  clear(): void {
    for (const key of [...this.series.keys()]) this.forget(key);
    this.dirty.clear();
  }
}

/** Runs fn at the next animation frame (browsers run none while the tab is hidden). */
function nextFrame(fn: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => fn());
  else setTimeout(fn, 16);
}

/** The app's one stats store: one flush per frame, series off screen for 30 s not kept. */
export const statsStore = new StatsStore(5 * 60_000, 2000, { schedule: nextFrame, coldAfterMs: 30_000 });
