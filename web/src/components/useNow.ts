import { useEffect, useState } from 'react';

/** The current time, re-read every `intervalMs` (0: never). */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (intervalMs <= 0) return;
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

/**
 * How often a relative time ("9 s ago", "in 4 s") of a moment `ageMs` away
 * must be re-read so that it never shows a stale figure: every second while
 * it counts seconds, every 10 s while it counts minutes (so a minute is at
 * most 10 s late), every minute beyond. A moment in the future counts down
 * the same way.
 */
export function relativeTickMs(ageMs: number): number {
  if (!Number.isFinite(ageMs)) return 0;
  const a = Math.abs(ageMs);
  if (a < 60_000) return 1000;
  if (a < 3_600_000) return 10_000;
  return 60_000;
}

/**
 * The current time for a component that shows relative times of `times`
 * (ISO strings or epoch ms; missing ones are ignored): it ticks as fast as
 * the nearest of them needs (see relativeTickMs), and not at all without any.
 */
export function useRelativeNow(...times: readonly (string | number | null | undefined)[]): number {
  const [now, setNow] = useState(() => Date.now());
  let nearest = Infinity;
  for (const t of times) {
    if (t === null || t === undefined) continue;
    const ms = typeof t === 'number' ? t : Date.parse(t);
    if (Number.isNaN(ms)) continue;
    nearest = Math.min(nearest, Math.abs(now - ms));
  }
  const interval = relativeTickMs(nearest);
  useEffect(() => {
    if (interval <= 0) return;
    const t = setInterval(() => setNow(Date.now()), interval);
    return () => clearInterval(t);
  }, [interval]);
  return now;
}
