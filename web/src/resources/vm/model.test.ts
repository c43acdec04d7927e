import { describe, expect, it } from 'vitest';
import type { Host, VM } from '../../api/types';
import { makeVM } from '../../test/fixtures';
import { allowedActions, filterAndSort, groupByHost, matchesSearch, normalizeVM, stateLabel, STATE_LABELS, vmHref } from './model';

const host = (name: string, state: Host['state'] = 'connected'): Host => ({ name, uri: 'qemu:///system', state, since: '', local: true });

describe('state labels', () => {
  it('names every state as the tests expect', () => {
    expect(Object.values(STATE_LABELS).sort()).toEqual(
      ['Blocked', 'Crashed', 'No state', 'Paused', 'Running', 'Shut off', 'Shutting down', 'Suspended'].sort(),
    );
    expect(stateLabel('shutoff')).toBe('Shut off');
    expect(stateLabel('pmsuspended')).toBe('Suspended');
    expect(stateLabel('weird')).toBe('weird');
  });
});

describe('allowedActions', () => {
  it('mirrors the server', () => {
    expect(allowedActions('running')).toEqual(['shutdown', 'reboot', 'force-off', 'reset', 'pause']);
    expect(allowedActions('shutoff')).toEqual(['start']);
    expect(allowedActions('paused')).toEqual(['force-off', 'reset', 'resume']);
    expect(allowedActions('crashed')).toEqual(['start', 'force-off']);
    expect(allowedActions('shutting-down')).toEqual(['force-off']);
    expect(allowedActions('nostate')).toEqual([]);
  });

  it('fills in actions and null arrays (vm events carry no actions)', () => {
    const vm = normalizeVM({ ...makeVM({ state: 'shutoff' }), disks: null, nics: null, graphics: null });
    expect(vm.actions).toEqual(['start']);
    expect(vm.disks).toEqual([]);
    expect(vm.nics).toEqual([]);
    expect(normalizeVM(makeVM({ actions: ['pause'] })).actions).toEqual(['pause']);
  });

  it('gives a template no power actions, from an event or the list', () => {
    expect(normalizeVM({ ...makeVM({ state: 'shutoff', template: true }), actions: undefined }).actions).toEqual([]);
    expect(normalizeVM(makeVM({ state: 'shutoff', template: true, actions: ['start'] })).actions).toEqual([]);
  });
});

describe('search, filter, sort', () => {
  const vms = [
    makeVM({ name: 'web-10', uuid: 'a', state: 'running', vcpus: 2, memoryMaxKiB: 4 }),
    makeVM({ name: 'web-9', uuid: 'b', state: 'shutoff', vcpus: 8, memoryMaxKiB: 1 }),
    makeVM({ name: 'db', uuid: 'c', state: 'paused', vcpus: 4, memoryMaxKiB: 8, host: 'lab', addresses: [{ ip: '10.0.0.5', prefix: 24, source: 'agent' }] }),
    makeVM({ name: 'cache', uuid: 'd', state: 'crashed', vcpus: 1, memoryMaxKiB: 2, title: 'Redis' }),
  ];
  const f = { search: '', state: 'all', host: '', sort: 'name' } as const;

  it('sorts names naturally', () => {
    expect(filterAndSort(vms, f).map((v) => v.name)).toEqual(['cache', 'db', 'web-9', 'web-10']);
  });
  it('sorts by state, size and CPU', () => {
    expect(filterAndSort(vms, { ...f, sort: 'state' }).map((v) => v.name)).toEqual(['web-10', 'db', 'cache', 'web-9']);
    expect(filterAndSort(vms, { ...f, sort: 'vcpus' }).map((v) => v.name)).toEqual(['web-9', 'db', 'web-10', 'cache']);
    expect(filterAndSort(vms, { ...f, sort: 'memory' }).map((v) => v.name)).toEqual(['db', 'web-10', 'cache', 'web-9']);
    const cpu: Record<string, number> = { a: 5, c: 50 };
    expect(filterAndSort(vms, { ...f, sort: 'cpu' }, (vm) => cpu[vm.uuid]).map((v) => v.name)).toEqual(['db', 'web-10', 'cache', 'web-9']);
  });
  it('filters by state and host', () => {
    expect(filterAndSort(vms, { ...f, state: 'running' }).map((v) => v.name)).toEqual(['web-10']);
    expect(filterAndSort(vms, { ...f, state: 'other' }).map((v) => v.name)).toEqual(['cache']);
    expect(filterAndSort(vms, { ...f, host: 'lab' }).map((v) => v.name)).toEqual(['db']);
  });
  it('searches names, titles, addresses and states', () => {
    expect(filterAndSort(vms, { ...f, search: 'WEB' }).map((v) => v.name)).toEqual(['web-9', 'web-10']);
    expect(filterAndSort(vms, { ...f, search: 'redis' }).map((v) => v.name)).toEqual(['cache']);
    expect(filterAndSort(vms, { ...f, search: '10.0.0' }).map((v) => v.name)).toEqual(['db']);
    expect(filterAndSort(vms, { ...f, search: 'web running' }).map((v) => v.name)).toEqual(['web-10']);
    expect(matchesSearch(vms[0] as VM, '   ')).toBe(true);
  });
  it('does not change its input', () => {
    const before = vms.map((v) => v.name);
    filterAndSort(vms, { ...f, sort: 'vcpus' });
    expect(vms.map((v) => v.name)).toEqual(before);
  });
});

describe('groupByHost', () => {
  it('keeps configured hosts, even empty ones, in order', () => {
    const all = [makeVM({ host: 'b', uuid: '1' }), makeVM({ host: 'a', uuid: '2' }), makeVM({ host: 'ghost', uuid: '3' })];
    const shown = all.slice(0, 1);
    const groups = groupByHost(shown, all, [host('a'), host('b')]);
    expect(groups.map((g) => [g.host, g.vms.length, g.total])).toEqual([
      ['a', 0, 1],
      ['b', 1, 1],
      ['ghost', 0, 1],
    ]);
    expect(groups[2]?.info).toBeUndefined();
    expect(groupByHost(shown, all, [host('a'), host('b')], 'b').map((g) => g.host)).toEqual(['b']);
  });
});

it('builds details links', () => {
  expect(vmHref('local', 'u-1')).toBe('/vms/local/u-1');
  expect(vmHref('local', 'u-1', 'overview')).toBe('/vms/local/u-1');
  expect(vmHref('my host', 'u-1', 'console')).toBe('/vms/my%20host/u-1/console');
});
