import { describe, expect, it } from 'vitest';
import { atLeast, cdromPath, contentPath, fillTone, sizeProblem, usedPercent } from './storageApi';

describe('sizeProblem', () => {
  it('accepts bytes and binary units as the server does', () => {
    for (const s of ['1', '512MiB', '20GiB', '1 TiB', '64KiB']) expect(sizeProblem(s)).toBeNull();
  });
  it('refuses what the server refuses, saying why', () => {
    expect(sizeProblem('')).toMatch(/Give a size/);
    expect(sizeProblem('0')).toMatch(/more than 0/);
    expect(sizeProblem('0GiB')).toMatch(/more than 0/);
    expect(sizeProblem('12 GB')).toMatch(/binary units/);
    expect(sizeProblem('12G')).toMatch(/binary units/);
    expect(sizeProblem('-5GiB')).not.toBeNull();
    expect(sizeProblem('1.5GiB')).not.toBeNull();
    expect(sizeProblem('lots')).toMatch(/e\.g\./);
  });
});

describe('pool fill', () => {
  it('is the allocation over the capacity, bounded', () => {
    expect(usedPercent({ capacityBytes: 200, allocationBytes: 50 })).toBe(25);
    expect(usedPercent({ capacityBytes: 0, allocationBytes: 50 })).toBe(0);
    expect(usedPercent({ capacityBytes: 100, allocationBytes: 150 })).toBe(100);
  });
  it('warns when nearly full', () => {
    expect(fillTone(10)).toBe('ok');
    expect(fillTone(80)).toBe('warn');
    expect(fillTone(95)).toBe('bad');
  });
});

describe('roles and paths', () => {
  it('ranks roles', () => {
    expect(atLeast('operator', 'operator')).toBe(true);
    expect(atLeast('viewer', 'operator')).toBe(false);
    expect(atLeast('admin', 'operator')).toBe(true);
    expect(atLeast(undefined, 'viewer')).toBe(false);
  });
  it('encodes names', () => {
    expect(contentPath('local', 'isos', 'a b.iso')).toBe('/api/v1/hosts/local/pools/isos/volumes/a%20b.iso/content');
    expect(cdromPath('local', 'u', 'hdc')).toBe('/api/v1/hosts/local/vms/u/cdrom/hdc');
  });
});
