import { describe, expect, it } from 'vitest';
import { MIN_SPAN_MS, sparkPath } from './Sparkline';

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
