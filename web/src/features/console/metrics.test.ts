import { describe, expect, it } from 'vitest';
import { formatMs, formatRate, qualityOf, RateMeter, RoundTrips, secondsUntil } from './metrics';

describe('RateMeter', () => {
  it('reports events per second over its window', () => {
    const m = new RateMeter(2000);
    for (let t = 100; t <= 2000; t += 100) m.tick(10_000 + t);
    expect(m.rate(12_000)).toBe(10);
    expect(m.rate(13_000)).toBe(5);
    expect(m.rate(20_000)).toBe(0);
    m.tick(20_001);
    m.reset();
    expect(m.rate(20_002)).toBe(0);
  });
});

describe('RoundTrips', () => {
  it('is the median of the last samples', () => {
    const r = new RoundTrips(3);
    expect(r.current()).toBeUndefined();
    r.add(10);
    expect(r.current()).toBe(10);
    r.add(500);
    expect(r.current()).toBe(255);
    r.add(12);
    expect(r.current()).toBe(12);
    r.add(14);
    r.add(NaN);
    r.add(-1);
    expect(r.current()).toBe(14);
    r.reset();
    expect(r.current()).toBeUndefined();
  });
});

describe('formatting', () => {
  it('grades and formats', () => {
    expect(qualityOf(undefined)).toBe('unknown');
    expect(qualityOf(20)).toBe('good');
    expect(qualityOf(120)).toBe('fair');
    expect(qualityOf(900)).toBe('poor');
    expect(formatMs(undefined)).toBe('—');
    expect(formatMs(3.4)).toBe('3 ms');
    expect(formatMs(1234)).toBe('1.2 s');
    expect(formatRate(0)).toBe('0');
    expect(formatRate(4.5)).toBe('4.5');
    expect(formatRate(3)).toBe('3');
    expect(formatRate(29.7)).toBe('30');
    expect(secondsUntil(5001, 1000)).toBe(5);
    expect(secondsUntil(500, 1000)).toBe(0);
    expect(secondsUntil(undefined, 1000)).toBe(0);
  });
});
