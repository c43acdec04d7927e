import { describe, expect, it } from 'vitest';
import { relativeTickMs } from './useNow';

describe('relativeTickMs', () => {
  it('ticks every second while a relative time counts seconds', () => {
    expect(relativeTickMs(0)).toBe(1000);
    expect(relativeTickMs(9_000)).toBe(1000);
    expect(relativeTickMs(59_999)).toBe(1000);
  });
  it('ticks every 10 s while it counts minutes, every minute beyond', () => {
    expect(relativeTickMs(60_000)).toBe(10_000);
    expect(relativeTickMs(3_599_999)).toBe(10_000);
    expect(relativeTickMs(3_600_000)).toBe(60_000);
    expect(relativeTickMs(5 * 86_400_000)).toBe(60_000);
  });
  it('counts a moment in the future down the same way', () => {
    expect(relativeTickMs(-4_000)).toBe(1000);
    expect(relativeTickMs(-120_000)).toBe(10_000);
  });
  it('does not tick without a time', () => {
    expect(relativeTickMs(Infinity)).toBe(0);
    expect(relativeTickMs(NaN)).toBe(0);
  });
});
