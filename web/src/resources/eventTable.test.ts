import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { StatsStore } from '../api/stats';
import type { Host, Operation, Snapshot, SnapshotList, VM } from '../api/types';
import { makeVM } from '../test/fixtures';
import { applyEvent, EVENT_TABLE, EVENT_TYPES, type EventContext } from './events';
import { putHost } from './host/cache';
import { qk } from './keys';
import { putOperation } from './operation/cache';
import { putVM } from './vm/cache';

function ctx(): EventContext {
  return { qc: new QueryClient({ defaultOptions: { queries: { retry: false } } }), stats: new StatsStore() };
}

const op = (over: Partial<Operation> = {}): Operation => ({
  id: 'op1',
  kind: 'shutdown',
  target: { host: 'local', uuid: '1', name: 'web' },
  state: 'running',
  progress: { stage: 's' },
  started: '2026-01-01T00:00:00Z',
  mayCancel: true,
  ...over,
});

describe('the event table', () => {
  it('has one entry for every event type the stream listens for, and nothing else', () => {
    expect(EVENT_TYPES).toEqual(Object.keys(EVENT_TABLE));
    expect([...EVENT_TYPES].sort()).toEqual(['host', 'host-key', 'host-removed', 'operation', 'recording', 'schedule', 'snapshot', 'stats', 'thumbnail', 'vm', 'vm-removed']);
  });

  it.each(EVENT_TYPES)('%s: data it cannot use changes nothing', (type) => {
    const c = ctx();
    const vms = [makeVM({ uuid: '1' })];
    const ops = [op()];
    const hosts: Host[] = [{ name: 'local', uri: 'qemu:///system', state: 'connected', since: '', local: true }];
    c.qc.setQueryData(qk.vms, vms);
    c.qc.setQueryData(qk.operations, ops);
    c.qc.setQueryData(qk.hosts, hosts);
    for (const data of ['not json', 'null', '42', '"text"', '[]', '{}']) expect(applyEvent(c, type, data)).toBe(true);
    expect(c.qc.getQueryData(qk.vms)).toBe(vms);
    expect(c.qc.getQueryData(qk.operations)).toBe(ops);
    expect(c.qc.getQueryData(qk.hosts)).toBe(hosts);
    expect(c.stats.has('local/1')).toBe(false);
  });

  it('host-removed takes the host out of the list', () => {
    const c = ctx();
    const h = (name: string): Host => ({ name, uri: 'qemu:///system', state: 'connected', since: '', local: name === 'local' });
    c.qc.setQueryData(qk.hosts, [h('local'), h('remote')]);
    expect(applyEvent(c, 'host-removed', '{"name":"remote"}')).toBe(true);
    expect(c.qc.getQueryData<Host[]>(qk.hosts)?.map((x) => x.name)).toEqual(['local']);
  });

  it('answers false for a type it does not have (including inherited names)', () => {
    const c = ctx();
    expect(applyEvent(c, 'resync', '{}')).toBe(false);
    expect(applyEvent(c, 'toString', '{}')).toBe(false);
    expect(applyEvent(c, '__proto__', '{}')).toBe(false);
  });

  it('vm: a VM not in the list is inserted in order; an unread list stays unread', () => {
    const c = ctx();
    applyEvent(c, 'vm', JSON.stringify(makeVM({ uuid: '9', name: 'zeta' })));
    expect(c.qc.getQueryData(qk.vms)).toBeUndefined();
    c.qc.setQueryData<VM[]>(qk.vms, [makeVM({ uuid: '1', name: 'alpha' }), makeVM({ uuid: '3', name: 'gamma' })]);
    applyEvent(c, 'vm', JSON.stringify(makeVM({ uuid: '2', name: 'beta' })));
    expect(c.qc.getQueryData<VM[]>(qk.vms)?.map((v) => v.name)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('snapshot: deleted snapshots leave the cached list at once', () => {
    const c = ctx();
    const snap = (name: string): Snapshot => ({ name, description: '', creationTime: '', state: 'shutoff', children: [], descendants: 0, current: false, location: 'internal', memory: false }) as unknown as Snapshot;
    c.qc.setQueryData<SnapshotList>(qk.snapshots('local', '1'), { snapshots: [snap('a'), snap('b')], count: 2, current: 'b' } as unknown as SnapshotList);
    // A snapshot operation runs: the event drops the names but reads nothing yet.
    c.qc.setQueryData<Operation[]>(qk.operations, [op({ kind: 'snapshot-delete' })]);
    applyEvent(c, 'snapshot', JSON.stringify({ host: 'local', uuid: '1', change: 'deleted', names: ['b'] }));
    const list = c.qc.getQueryData<SnapshotList>(qk.snapshots('local', '1'));
    expect(list?.snapshots?.map((s) => s.name)).toEqual(['a']);
    expect(list?.current).toBeUndefined();
  });
});

describe('resource cache helpers', () => {
  it('putVM writes a mutation’s answer like a vm event does', () => {
    const a = ctx();
    const b = ctx();
    const list = [makeVM({ uuid: '1', name: 'web', state: 'running' })];
    a.qc.setQueryData(qk.vms, list);
    b.qc.setQueryData(qk.vms, list);
    const next = makeVM({ uuid: '1', name: 'web', state: 'paused', updated: '2026-01-01T00:00:05Z' });
    putVM(a.qc, next);
    applyEvent(b, 'vm', JSON.stringify(next));
    expect(a.qc.getQueryData(qk.vms)).toEqual(b.qc.getQueryData(qk.vms));
    expect(a.qc.getQueryData<VM[]>(qk.vms)?.[0]?.actions).toEqual(['force-off', 'reset', 'resume']);
  });

  it('putOperation keeps a finished operation that arrived before the 202 answer', () => {
    const c = ctx();
    applyEvent(c, 'operation', JSON.stringify(op({ state: 'succeeded' })));
    expect(putOperation(c.qc, op()).state).toBe('succeeded');
    expect(c.qc.getQueryData<Operation[]>(qk.operations)).toHaveLength(1);
  });

  it('putHost says what the host was before', () => {
    const c = ctx();
    const h = (state: Host['state']): Host => ({ name: 'local', uri: 'qemu:///system', state, since: '', local: true });
    expect(putHost(c.qc, h('connecting'))).toBeUndefined();
    expect(putHost(c.qc, h('connected'))?.state).toBe('connecting');
  });
});
