// The console's connection figures: screen updates per second and the
// round-trip time of update requests, and the quality they add up to.

/** Counts events in a sliding window and reports them per second. */
export class RateMeter {
  private times: number[] = [];

  constructor(private readonly windowMs = 2000) {}

  tick(now: number): void {
    this.times.push(now);
    this.trim(now);
  }

  /** Events per second over the window ending now. */
  rate(now: number): number {
    this.trim(now);
    return (this.times.length * 1000) / this.windowMs;
  }

  reset(): void {
    this.times = [];
  }

  private trim(now: number): void {
    const from = now - this.windowMs;
    let i = 0;
    while (i < this.times.length && (this.times[i] ?? 0) <= from) i++;
    if (i > 0) this.times.splice(0, i);
  }
}

/** The median of the last few round trips: one slow answer does not make the line look bad. */
export class RoundTrips {
  private samples: number[] = [];

  constructor(private readonly keep = 5) {}

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples.push(ms);
    if (this.samples.length > this.keep) this.samples.shift();
  }

  /** The median, or undefined before the first sample. */
  current(): number | undefined {
    if (this.samples.length === 0) return undefined;
    const s = [...this.samples].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  }

  reset(): void {
    this.samples = [];
  }
}

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

/** The connection's quality from its round-trip time: what typing and pointing feel like. */
export function qualityOf(rttMs: number | undefined): Quality {
  if (rttMs === undefined) return 'unknown';
  if (rttMs < 80) return 'good';
  if (rttMs < 250) return 'fair';
  return 'poor';
}

/** "12 ms", "1.2 s", "—". */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Updates per second, as the status bar shows them ("0", "4.5", "30"). */
export function formatRate(r: number): string {
  if (r <= 0) return '0';
  return r < 10 ? r.toFixed(1).replace(/\.0$/, '') : String(Math.round(r));
}

/** Seconds left until at, rounded up, never negative. */
export function secondsUntil(at: number | undefined, now: number): number {
  if (at === undefined) return 0;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
