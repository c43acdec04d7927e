import { describe, expect, it } from 'vitest';
import type { Host } from '../../api/types';
import { makeVM } from '../../test/fixtures';
import { buildNavRows, indexOfKey, navKey, rowLabel, type NavRow } from './navTree';

const host = (name: string, state: Host['state'] = 'connected'): Host => ({ name, uri: `qemu+ssh://${name}/system`, state, since: '', local: false });
const vm = (hostName: string, name: string, n: number, state = 'running') =>
  makeVM({ host: hostName, name, state: state as 'running', uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` });

const hosts = [host('b'), host('a')];
const vms = [vm('a', 'web-10', 1), vm('a', 'web-2', 2, 'shutoff'), vm('b', 'db', 3), vm('c', 'orphan', 4)];
const labels = (rows: NavRow[]) => rows.map((r) => `${'  '.repeat(r.level - 1)}${rowLabel(r)}`);

describe('the navigation tree rows', () => {
  it('lists hosts in their order (then hosts only VMs name) and VMs by name, numbers in order', () => {
    const rows = buildNavRows(vms, hosts, '', new Set());
    expect(labels(rows)).toEqual(['b', '  db', 'a', '  web-2', '  web-10', 'c', '  orphan']);
    const a = rows[2];
    expect(a?.kind === 'host' && [a.pos, a.setSize, a.total, a.expanded]).toEqual([2, 3, 2, true]);
    const web10 = rows[4];
    expect(web10?.kind === 'vm' && [web10.pos, web10.setSize, web10.parent, web10.level]).toEqual([2, 2, 2, 2]);
  });

  it('keeps a closed host closed', () => {
    const rows = buildNavRows(vms, hosts, '', new Set(['a']));
    expect(labels(rows)).toEqual(['b', '  db', 'a', 'c', '  orphan']);
    expect(rows[2]?.kind === 'host' && rows[2].expanded).toBe(false);
  });

  it('filters VMs, leaves out hosts without a match and opens the rest', () => {
    const rows = buildNavRows(vms, hosts, 'web', new Set(['a']));
    expect(labels(rows)).toEqual(['a', '  web-2', '  web-10']);
    const a = rows[0];
    expect(a?.kind === 'host' && [a.matching, a.total, a.pos, a.setSize]).toEqual([2, 2, 1, 1]);
    expect(labels(buildNavRows(vms, hosts, 'running', new Set()))).toEqual(['b', '  db', 'a', '  web-10', 'c', '  orphan']);
    expect(buildNavRows(vms, hosts, 'nothing-like-this', new Set())).toEqual([]);
  });

  it('shows a configured host with no VMs', () => {
    expect(labels(buildNavRows([], [host('empty')], '', new Set()))).toEqual(['empty']);
  });

  it('finds rows by key', () => {
    const rows = buildNavRows(vms, hosts, '', new Set());
    expect(indexOfKey(rows, 'host:a')).toBe(2);
    expect(indexOfKey(rows, `b/${vms[2]?.uuid ?? ''}`)).toBe(1);
    expect(indexOfKey(rows, null)).toBe(-1);
  });
});

describe('keys in the navigation tree', () => {
  const rows = buildNavRows(vms, hosts, '', new Set());
  const closed = buildNavRows(vms, hosts, '', new Set(['a']));

  it('moves with the arrows and Home/End, stopping at the ends', () => {
    expect(navKey(rows, 0, 'ArrowDown')).toEqual({ type: 'focus', index: 1 });
    expect(navKey(rows, 6, 'ArrowDown')).toEqual({ type: 'focus', index: 6 });
    expect(navKey(rows, 0, 'ArrowUp')).toEqual({ type: 'focus', index: 0 });
    expect(navKey(rows, 4, 'Home')).toEqual({ type: 'focus', index: 0 });
    expect(navKey(rows, 1, 'End')).toEqual({ type: 'focus', index: 6 });
  });

  it('opens and closes hosts with → and ←, and moves between a VM and its host', () => {
    expect(navKey(closed, 2, 'ArrowRight')).toEqual({ type: 'expand', host: 'a' });
    expect(navKey(rows, 2, 'ArrowRight')).toEqual({ type: 'focus', index: 3 });
    expect(navKey(rows, 4, 'ArrowRight')).toEqual({ type: 'none' });
    expect(navKey(rows, 4, 'ArrowLeft')).toEqual({ type: 'focus', index: 2 });
    expect(navKey(rows, 2, 'ArrowLeft')).toEqual({ type: 'collapse', host: 'a', focus: 2 });
    expect(navKey(closed, 2, 'ArrowLeft')).toEqual({ type: 'none' });
  });

  it('opens a VM with Enter or Space, and toggles a host', () => {
    expect(navKey(rows, 3, 'Enter')).toEqual({ type: 'open', index: 3 });
    expect(navKey(rows, 3, ' ')).toEqual({ type: 'open', index: 3 });
    expect(navKey(rows, 2, 'Enter')).toEqual({ type: 'collapse', host: 'a', focus: 2 });
    expect(navKey(closed, 2, 'Enter')).toEqual({ type: 'expand', host: 'a' });
  });

  it('finds rows by their first letters (type-ahead), cycling through a repeated letter', () => {
    expect(navKey(rows, 0, 'w', 'w')).toEqual({ type: 'focus', index: 3 });
    expect(navKey(rows, 3, 'w', 'w')).toEqual({ type: 'focus', index: 4 });
    expect(navKey(rows, 4, 'w', 'w')).toEqual({ type: 'focus', index: 3 });
    // More letters stay on a row that still matches.
    expect(navKey(rows, 3, '-', 'web-')).toEqual({ type: 'focus', index: 3 });
    expect(navKey(rows, 3, '1', 'web-1')).toEqual({ type: 'focus', index: 4 });
    expect(navKey(rows, 0, 'z', 'z')).toEqual({ type: 'none' });
  });

  it('starts at the first row when none is active', () => {
    expect(navKey(rows, -1, 'ArrowDown')).toEqual({ type: 'focus', index: 0 });
    expect(navKey([], -1, 'ArrowDown')).toEqual({ type: 'none' });
  });
});
