import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatsStore } from './stats';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const sample = (uuid: string, s: number, cpu = s) => ({ uuid, time: at(s), cpuPercent: cpu, memoryUsedKiB: 100 });

describe('StatsStore', () => {
  afterEach(() => vi.useRealTimers());

  it('appends samples and notifies only that VM', () => {
    const st = new StatsStore(60_000);
    const a = vi.fn();
    const b = vi.fn();
    st.subscribe('h/a', a);
    st.subscribe('h/b', b);
    st.push('h', [sample('a', 0)]);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).not.toHaveBeenCalled();
    expect(st.snapshot('h/a').map((p) => p.cpu)).toEqual([0]);
  });

  it('keeps snapshots stable between notifications', () => {
    const st = new StatsStore(60_000);
    st.push('h', [sample('a', 0)]);
    const s1 = st.snapshot('h/a');
    expect(st.snapshot('h/a')).toBe(s1);
    st.push('h', [sample('a', 2)]);
    expect(st.snapshot('h/a')).not.toBe(s1);
    expect(st.snapshot('unknown')).toHaveLength(0);
  });

  it('drops samples older than the window, and duplicates', () => {
    const st = new StatsStore(10_000);
    for (let s = 0; s <= 30; s += 2) st.push('h', [sample('a', s)]);
    st.push('h', [sample('a', 30)]);
    expect(st.snapshot('h/a').map((p) => p.cpu)).toEqual([20, 22, 24, 26, 28, 30]);
  });

  it('bounds the number of points', () => {
    const st = new StatsStore(3_600_000, 5);
    for (let s = 0; s < 20; s++) st.push('h', [sample('a', s)]);
    expect(st.snapshot('h/a')).toHaveLength(5);
  });

  it('merges history under live samples', () => {
    const st = new StatsStore(60_000);
    st.push('h', [sample('a', 10, 99)]);
    st.seed('h/a', [
      { time: at(6), cpuPercent: 1 },
      { time: at(8), cpuPercent: 2 },
      { time: at(10), cpuPercent: 3 },
    ]);
    expect(st.snapshot('h/a').map((p) => [p.t, p.cpu])).toEqual([
      [Date.parse(at(6)), 1],
      [Date.parse(at(8)), 2],
      [Date.parse(at(10)), 99],
    ]);
  });

  it('holds graphs back while paused, and every 10 s', () => {
    vi.useFakeTimers();
    const st = new StatsStore(60_000);
    const l = vi.fn();
    st.subscribe('h/a', l);
    st.push('h', [sample('a', 0)]);
    st.setRefresh('paused');
    st.push('h', [sample('a', 2)]);
    expect(l).toHaveBeenCalledTimes(1);
    expect(st.snapshot('h/a')).toHaveLength(1);
    expect(st.latest('h/a')?.cpu).toBe(2);
    st.setRefresh('10s');
    vi.advanceTimersByTime(10_000);
    expect(l).toHaveBeenCalledTimes(2);
    expect(st.snapshot('h/a')).toHaveLength(2);
    st.push('h', [sample('a', 4)]);
    expect(l).toHaveBeenCalledTimes(2);
    st.setRefresh('live');
    expect(l).toHaveBeenCalledTimes(3);
  });

  it('forgets removed VMs', () => {
    const st = new StatsStore();
    st.push('h', [sample('a', 0)]);
    st.forget('h/a');
    expect(st.has('h/a')).toBe(false);
    expect(st.snapshot('h/a')).toHaveLength(0);
  });

  it('coalesces notifications into one scheduled flush', () => {
    const jobs: (() => void)[] = [];
    const st = new StatsStore(60_000, 2000, { schedule: (f) => jobs.push(f) });
    const l = vi.fn();
    st.subscribe('h/a', l);
    st.push('h', [sample('a', 0)]);
    st.push('h', [sample('a', 2)]);
    expect(jobs).toHaveLength(1);
    expect(l).not.toHaveBeenCalled();
    jobs[0]?.();
    expect(l).toHaveBeenCalledTimes(1);
    expect(st.snapshot('h/a')).toHaveLength(2);
  });

  it('keeps only the newest raw sample of a series nobody watches, and asks for its history again', () => {
    let now = 100_000;
    const st = new StatsStore(60_000, 2000, { coldAfterMs: 30_000, now: () => now });
    st.push('h', [sample('a', 0)]);
    expect(st.snapshot('h/a')).toHaveLength(0); // never watched: not kept
    expect(st.latest('h/a')?.cpu).toBe(0);
    expect(st.needsHistory('h/a')).toBe(true);
    const off = st.subscribe('h/a', () => undefined);
    st.seed('h/a', [{ time: at(0), cpuPercent: 0 }]);
    st.push('h', [sample('a', 2)]);
    expect(st.snapshot('h/a')).toHaveLength(2);
    expect(st.needsHistory('h/a')).toBe(false);
    off();
    now = 110_000;
    st.push('h', [sample('a', 4)]); // unwatched for 10 s: still kept
    expect(st.snapshot('h/a')).toHaveLength(3);
    now = 145_000;
    st.push('h', [sample('a', 6)]); // for 45 s: dropped
    expect(st.snapshot('h/a')).toHaveLength(0);
    expect(st.latest('h/a')?.cpu).toBe(6);
    expect(st.needsHistory('h/a')).toBe(true);
  });

  it('asks for history again after a clear (a new login)', () => {
    const st = new StatsStore();
    st.seed('h/a', [{ time: at(0), cpuPercent: 1 }]);
    expect(st.needsHistory('h/a')).toBe(false);
    st.clear();
    expect(st.needsHistory('h/a')).toBe(true);
  });
});

