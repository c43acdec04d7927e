import { describe, expect, it } from 'vitest';
import type { Point } from '../../api/stats';
import { describeHistory, lastIndexes, mergeSeries, spanWords } from './graphData';

describe('mergeSeries', () => {
  const p = (s: number, cpu = s): Point => ({ t: s * 1000, cpu });
  it('puts live points after the history and keeps the range ending at the newest', () => {
    const merged = mergeSeries([p(0), p(100), p(200)], [p(150, 99), p(200, 99), p(210), p(400)], 300);
    expect(merged.map((x) => [x.t / 1000, x.cpu])).toEqual([
      [100, 100],
      [200, 200],
      [210, 210],
      [400, 400],
    ]);
  });
  it('works with either side empty', () => {
    expect(mergeSeries([], [p(1)], 60)).toHaveLength(1);
    expect(mergeSeries([p(1)], [], 60)).toHaveLength(1);
    expect(mergeSeries([], [], 60)).toHaveLength(0);
  });
});

describe('describeHistory', () => {
  it('says how far the server keeps history, in round units', () => {
    const text = describeHistory({
      tiers: [
        { stepSeconds: 2, spanSeconds: 300 },
        { stepSeconds: 30, spanSeconds: 3600 },
        { stepSeconds: 600, spanSeconds: 86400 },
      ],
    });
    expect(text).toContain('keeps up to 24 h of history');
    expect(text).toContain('every 2 s for 5 min, 30 s averages for 1 h, 10 min averages for 24 h');
    expect(describeHistory(undefined)).toBe('');
    expect(spanWords(90)).toBe('1 min 30 s');
  });
});

describe('lastIndexes', () => {
  it('finds each series’ newest value, skipping gaps at the end', () => {
    expect(lastIndexes([[1, 2, null], [null, null], [3]])).toEqual([1, null, 0]);
  });
});
