import { describe, expect, it } from 'vitest';
import { MIN_SPAN_MS, sparkLabel, sparkPath } from './Sparkline';

describe('sparkPath', () => {
  it('is empty without data', () => {
    expect(sparkPath([], 'cpu', 100, 60_000)).toEqual({ line: '', area: '' });
    expect(sparkPath([{ t: 0 }], 'cpu', 100, 60_000)).toEqual({ line: '', area: '' });
  });

  it('maps time to x over the span and value to y, clamped', () => {
    const t0 = 1_000_000;
    const pts = [
      { t: t0, cpu: 0 },
      { t: t0 + MIN_SPAN_MS / 2, cpu: 50 },
      { t: t0 + MIN_SPAN_MS, cpu: 250 },
    ];
    const { line, area } = sparkPath(pts, 'cpu', 100, 300_000);
    expect(line).toBe('M0.0,27.0L60.0,14.0L120.0,1.0');
    expect(area.endsWith('L120.0,28L0.0,28Z')).toBe(true);
  });

  it('skips samples without the field and older than the window', () => {
    const pts = [{ t: 0, cpu: 10 }, { t: 100_000, mem: 5 }, { t: 200_000, cpu: 20 }, { t: 400_000, cpu: 30 }];
    const { line } = sparkPath(pts, 'cpu', 100, 300_000);
    expect(line.split('L')).toHaveLength(2);
  });
});

describe('sparkLabel', () => {
  it('adds the newest value the graph draws to its label', () => {
    const pts = [
      { t: 1, cpu: 40, mem: 2048 },
      { t: 2, cpu: 12.5, mem: 1_048_576 },
      { t: 3 },
    ];
    expect(sparkLabel('CPU of web', pts, 'cpu')).toBe('CPU of web, now 13%');
    expect(sparkLabel('Memory the guest uses of web', pts, 'mem')).toBe('Memory the guest uses of web, now 1 GiB');
  });
  it('is the label alone before any value', () => {
    expect(sparkLabel('CPU of web', [], 'cpu')).toBe('CPU of web');
    expect(sparkLabel('CPU of web', [{ t: 1 }], 'cpu')).toBe('CPU of web');
  });
});
