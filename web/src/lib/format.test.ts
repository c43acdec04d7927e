import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatDuration, formatIn, formatKiB, formatPercent, formatRate, formatVCPUs, plural } from './format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 * 1024, '10 MiB'],
    [67108864, '64 MiB'],
    [1.25 * 1024 ** 3, '1.25 GiB'],
    [123.4 * 1024 ** 3, '123 GiB'],
    [2 * 1024 ** 4, '2 TiB'],
  ])('%d → %s', (n, want) => expect(formatBytes(n)).toBe(want));

  it('says — for missing values', () => {
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('formats KiB and rates', () => {
    expect(formatKiB(196608)).toBe('192 MiB');
    expect(formatKiB(1048576)).toBe('1 GiB');
    expect(formatRate(2048)).toBe('2 KiB/s');
    expect(formatRate(undefined)).toBe('—');
  });
});

describe('formatPercent', () => {
  it.each([
    [0, '0%'],
    [0.05, '<0.1%'],
    [0.64, '0.6%'],
    [9.96, '10%'],
    [12.4, '12%'],
    [100, '100%'],
    [-3, '0%'],
  ])('%d → %s', (p, want) => expect(formatPercent(p)).toBe(want));
  it('says — when unknown', () => expect(formatPercent(undefined)).toBe('—'));
});

describe('durations', () => {
  it.each([
    [450, '450 ms'],
    [12_000, '12 s'],
    [60_000, '1 min'],
    [185_000, '3 min 5 s'],
    [2 * 3600_000 + 4 * 60_000, '2 h 4 min'],
    [3 * 86400_000 + 2 * 3600_000, '3 d 2 h'],
  ])('%d ms → %s', (ms, want) => expect(formatDuration(ms)).toBe(want));

  it('says how long ago and how soon', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(formatAgo('2026-01-01T11:59:59.5Z', now)).toBe('just now');
    expect(formatAgo('2026-01-01T11:59:30Z', now)).toBe('30 s ago');
    expect(formatAgo('2026-01-01T11:56:50Z', now)).toBe('3 min ago');
    expect(formatIn('2026-01-01T12:00:04Z', now)).toBe('in 4 s');
    expect(formatIn('2026-01-01T11:59:00Z', now)).toBe('now');
    expect(formatAgo('garbage', now)).toBe('—');
  });
});

describe('words', () => {
  it('pluralises', () => {
    expect(plural(1, 'snapshot')).toBe('1 snapshot');
    expect(plural(3, 'snapshot')).toBe('3 snapshots');
    expect(formatVCPUs(1)).toBe('1 vCPU');
    expect(formatVCPUs(4)).toBe('4 vCPUs');
  });
});
