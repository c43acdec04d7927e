import { describe, expect, it } from 'vitest';
import { modeLabel, nameProblem, staticLeases, suggestRange } from './model';

describe('networks model', () => {
  it('suggests a DHCP range inside the subnet, clear of the gateway', () => {
    expect(suggestRange('192.168.150.0/24')).toEqual({ start: '192.168.150.25', end: '192.168.150.254' });
    expect(suggestRange('10.20.0.0/16')).toEqual({ start: '10.20.25.153', end: '10.20.255.254' });
    expect(suggestRange('10.0.0.0/29')).toEqual({ start: '10.0.0.2', end: '10.0.0.6' });
  });
  it('suggests nothing for what the server would refuse', () => {
    for (const s of ['', '10.0.0.5/24', '10.0.0.0/30', '300.0.0.0/24', '10.0.0.0', 'fd00::/64']) {
      expect(suggestRange(s)).toBeNull();
    }
  });
  it('checks names as the server does', () => {
    expect(nameProblem('lab-1')).toBeNull();
    expect(nameProblem('')).not.toBeNull();
    expect(nameProblem('a/b')).not.toBeNull();
    expect(nameProblem('a..b')).not.toBeNull();
    expect(nameProblem('-a')).not.toBeNull();
    expect(nameProblem('a'.repeat(65))).not.toBeNull();
  });
  it('keeps the static leases that were filled in, trimmed', () => {
    expect(
      staticLeases([
        { mac: ' 52:54:00:00:00:01 ', ip: '10.0.0.5 ', name: '' },
        { mac: '', ip: '', name: '' },
        { mac: '52:54:00:00:00:02', ip: '10.0.0.6', name: ' db ' },
      ]),
    ).toEqual([
      { mac: '52:54:00:00:00:01', ip: '10.0.0.5' },
      { mac: '52:54:00:00:00:02', ip: '10.0.0.6', name: 'db' },
    ]);
  });
  it('names modes in words', () => {
    expect(modeLabel('nat')).toBe('NAT');
    expect(modeLabel('passthrough')).toBe('passthrough');
  });
});
