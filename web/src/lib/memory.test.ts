import { describe, expect, it } from 'vitest';
import { describeMemory, formatUsedOf } from './memory';

describe('formatUsedOf', () => {
  it('says used of total, one unit when shared', () => {
    expect(formatUsedOf(95 * 1024, 180 * 1024)).toBe('95 of 180 MiB');
    expect(formatUsedOf(900 * 1024, 2 * 1024 * 1024)).toBe('900 MiB of 2 GiB');
    expect(formatUsedOf(undefined, 1024)).toBe('—');
  });
});

describe('describeMemory', () => {
  it('keeps the host figure out of the guest figure, labelled', () => {
    const d = describeMemory({ usedKiB: 30 * 1024, totalKiB: 180 * 1024, rssKiB: 314 * 1024 }, 192 * 1024);
    expect(d.text).toBe('30 of 180 MiB');
    expect(d.title).toContain('Host: the QEMU process holds 314 MiB');
  });
  it('says so when the guest reports nothing, never showing the host figure as use', () => {
    const d = describeMemory({ rssKiB: 314 * 1024 }, 192 * 1024);
    expect(d.text).toBe('? of 192 MiB');
    expect(d.text).not.toContain('314');
  });
});
