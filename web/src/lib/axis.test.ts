import { describe, expect, it } from 'vitest';
import { axisScale, maxOf, niceStep } from './axis';

describe('niceStep', () => {
  it('picks 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceStep(100, 4)).toBe(25);
    expect(niceStep(191, 4)).toBe(50);
    expect(niceStep(7, 4)).toBe(2);
    expect(niceStep(0.3, 4)).toBe(0.1);
    expect(niceStep(0, 4)).toBe(1);
  });
});

describe('axisScale', () => {
  const MiB = 1024 * 1024;
  it('puts the top tick at or above the data, in round steps (the 314 MiB line under a 191 MiB top)', () => {
    const s = axisScale('bytes', 314 * MiB, 192 * MiB);
    expect(s.max).toBeGreaterThanOrEqual(314 * MiB);
    expect(s.ticks[0]).toBe(0);
    expect(s.ticks[s.ticks.length - 1]).toBe(s.max);
    expect(s.ticks.map(s.format)).toEqual(['0 MiB', '100 MiB', '200 MiB', '300 MiB', '400 MiB']);
  });
  it('keeps the VM memory as the floor of the top', () => {
    const s = axisScale('bytes', 40 * MiB, 192 * MiB);
    expect(s.max).toBeGreaterThanOrEqual(192 * MiB);
    expect(s.max).toBeLessThan(300 * MiB);
  });
  it('uses one unit for every tick of a rate axis', () => {
    const s = axisScale('rate', 2000);
    const labels = s.ticks.map(s.format);
    expect(s.unit).toBe('KiB/s');
    for (const l of labels) expect(l.endsWith(' KiB/s')).toBe(true);
    expect(labels).toEqual(['0 KiB/s', '0.5 KiB/s', '1 KiB/s', '1.5 KiB/s', '2 KiB/s']);
  });
  it('shows an empty rate axis as 0 to 1 KiB/s', () => {
    const s = axisScale('rate', 0);
    expect(s.max).toBe(1024);
    expect(s.unit).toBe('KiB/s');
  });
  it('ends a percent axis at 100 by default and contains higher data', () => {
    expect(axisScale('percent', 0, 100).max).toBe(100);
    expect(axisScale('percent', 12).ticks.map(axisScale('percent', 12).format)).toEqual(['0%', '5%', '10%', '15%']);
  });
  it('formats values in the axis unit, also values between ticks', () => {
    const s = axisScale('bytes', 3 * 1024 * MiB);
    expect(s.unit).toBe('GiB');
    expect(s.value(1.5 * 1024 * MiB)).toBe('1.5 GiB');
    expect(s.value(100 * MiB)).toBe('0.098 GiB');
  });
});

describe('maxOf', () => {
  it('skips gaps', () => {
    expect(maxOf([1, null, 5], [undefined, 3])).toBe(5);
    expect(maxOf([])).toBe(0);
  });
});
