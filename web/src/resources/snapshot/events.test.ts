import { QueryClient, QueryObserver } from '@tanstack/react-query';
import { describe, expect, it, vi } from 'vitest';
import type { Operation, Snapshot, SnapshotEvent, SnapshotList } from '../../api/types';
import { qk } from '../keys';
import { applySnapshotEvent, dropSnapshots, isQueryOfSnapshot, rereadSnapshots, snapshotOpRunning } from './events';

const snap = (name: string, parent?: string) => ({ name, parent }) as unknown as Snapshot;
const list = (names: string[], current?: string): SnapshotList =>
  ({ host: 'h', uuid: 'u', vm: 'web', vmState: 'running', count: names.length, current, snapshots: names.map((n) => snap(n)) }) as SnapshotList;
const op = (state: Operation['state'], kind = 'snapshot-revert', uuid = 'u'): Operation =>
  ({ id: `${kind}-${state}`, kind, target: { host: 'h', uuid }, state, progress: { stage: '' }, started: '', mayCancel: false });
const event = (change: string, names: string[] | null = null): SnapshotEvent => ({ host: 'h', uuid: 'u', vm: 'web', change, names, count: 0 });

describe('dropSnapshots', () => {
  it('removes the named snapshots and a current one among them', () => {
    const l = dropSnapshots(list(['a', 'b', 'c'], 'b'), ['b', 'c']);
    expect(l?.snapshots?.map((s) => s.name)).toEqual(['a']);
    expect(l?.count).toBe(1);
    expect(l?.current).toBeUndefined();
  });
  it('keeps the same object when nothing changes', () => {
    const l = list(['a'], 'a');
    expect(dropSnapshots(l, ['x'])).toBe(l);
    expect(dropSnapshots(undefined, ['x'])).toBeUndefined();
  });
});

describe('isQueryOfSnapshot', () => {
  const gone = new Set(['a']);
  it('matches the details and diff of a named snapshot of the VM only', () => {
    expect(isQueryOfSnapshot([...qk.snapshots('h', 'u'), 'details', 'a'], 'h', 'u', gone)).toBe(true);
    expect(isQueryOfSnapshot([...qk.snapshots('h', 'u'), 'diff', 'a'], 'h', 'u', gone)).toBe(true);
    expect(isQueryOfSnapshot([...qk.snapshots('h', 'u'), 'details', 'b'], 'h', 'u', gone)).toBe(false);
    expect(isQueryOfSnapshot([...qk.snapshots('h', 'v'), 'details', 'a'], 'h', 'u', gone)).toBe(false);
    expect(isQueryOfSnapshot(qk.snapshots('h', 'u'), 'h', 'u', gone)).toBe(false);
  });
});

describe('snapshotOpRunning', () => {
  it('is true for a running snapshot operation of the VM only', () => {
    expect(snapshotOpRunning([op('running')], 'h', 'u')).toBe(true);
    expect(snapshotOpRunning([op('succeeded')], 'h', 'u')).toBe(false);
    expect(snapshotOpRunning([op('running', 'shutdown')], 'h', 'u')).toBe(false);
    expect(snapshotOpRunning([op('running', 'snapshot-create', 'other')], 'h', 'u')).toBe(false);
    expect(snapshotOpRunning(undefined, 'h', 'u')).toBe(false);
  });
});

describe('applySnapshotEvent', () => {
  function setup(ops: Operation[]) {
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    qc.setQueryData(qk.operations, ops);
    qc.setQueryData(qk.snapshots('h', 'u'), list(['a', 'b'], 'a'));
    const details = [...qk.snapshots('h', 'u'), 'details', 'a'];
    const other = [...qk.snapshots('h', 'u'), 'details', 'b'];
    qc.setQueryData(details, { name: 'a' });
    qc.setQueryData(other, { name: 'b' });
    const invalidate = vi.spyOn(qc, 'invalidateQueries');
    return { qc, details, other, invalidate };
  }

  it('re-reads the VM\'s snapshots when no snapshot operation runs', () => {
    const s = setup([op('succeeded')]);
    applySnapshotEvent(s.qc, event('created', ['c']));
    expect(s.invalidate).toHaveBeenCalledTimes(1);
    expect(s.invalidate).toHaveBeenCalledWith({ queryKey: qk.snapshots('h', 'u') });
  });

  it('re-reads only the list for a deletion seen while no operation is known to run (the next snapshot to go keeps its details unread)', () => {
    const s = setup([]);
    applySnapshotEvent(s.qc, event('deleted', ['b']));
    expect(s.invalidate).toHaveBeenCalledTimes(1);
    expect(s.invalidate).toHaveBeenCalledWith({ queryKey: qk.snapshots('h', 'u'), exact: true });
    expect(s.qc.getQueryState(s.details)?.isInvalidated).toBe(false);
  });

  it('waits for the end of a running snapshot operation instead', () => {
    const s = setup([op('running')]);
    applySnapshotEvent(s.qc, event('reverted', ['a']));
    expect(s.invalidate).not.toHaveBeenCalled();
  });

  it('drops deleted snapshots from the list and forgets their details without reading them again', async () => {
    const s = setup([op('running', 'snapshot-delete')]);
    const fetches = vi.fn(() => Promise.resolve({ name: 'a' }));
    const observer = new QueryObserver(s.qc, { queryKey: s.details, queryFn: fetches, staleTime: Infinity });
    const unsubscribe = observer.subscribe(() => undefined);
    applySnapshotEvent(s.qc, event('deleted', ['a']));
    expect(s.qc.getQueryData<SnapshotList>(qk.snapshots('h', 'u'))?.snapshots?.map((x) => x.name)).toEqual(['b']);
    expect(s.qc.getQueryCache().find({ queryKey: s.details, exact: true })).toBeUndefined();
    expect(s.qc.getQueryData(s.other)).toEqual({ name: 'b' });
    await Promise.resolve();
    expect(fetches).not.toHaveBeenCalled();
    unsubscribe();
  });
});

describe('rereadSnapshots', () => {
  it('reads only the list when asked for the list (an operation starts), everything otherwise', async () => {
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    const listKey = qk.snapshots('h', 'u');
    const detailsKey = [...listKey, 'details', 'a'];
    const listFn = vi.fn(() => Promise.resolve(list(['a'], 'a')));
    const detailsFn = vi.fn(() => Promise.resolve({ name: 'a' }));
    const observers = [
      new QueryObserver(qc, { queryKey: listKey, queryFn: listFn, staleTime: Infinity }),
      new QueryObserver(qc, { queryKey: detailsKey, queryFn: detailsFn, staleTime: Infinity }),
    ];
    const offs = observers.map((o) => o.subscribe(() => undefined));
    await vi.waitFor(() => expect(qc.isFetching()).toBe(0));
    listFn.mockClear();
    detailsFn.mockClear();

    rereadSnapshots(qc, 'h', 'u', 'list');
    await vi.waitFor(() => expect(listFn).toHaveBeenCalledTimes(1));
    await vi.waitFor(() => expect(qc.isFetching()).toBe(0));
    expect(detailsFn).not.toHaveBeenCalled();

    rereadSnapshots(qc, 'h', 'u');
    await vi.waitFor(() => expect(detailsFn).toHaveBeenCalledTimes(1));
    expect(listFn).toHaveBeenCalledTimes(2);
    offs.forEach((off) => off());
  });
});
