// What a `snapshot` event does to the cache. Snapshot work comes in bursts
// (a revert publishes several events, each operation progress step is an
// event): re-reading on each aborted the previous reads (about 60 aborted
// requests in one create/revert/delete sequence). While a snapshot
// operation of the VM runs, its events change nothing; the operation's end
// re-reads once (useSnapshotRereads). Deleted snapshots leave the list at
// once and their details are forgotten, never re-read (each was a 404).

import { hashKey, type QueryClient, type QueryKey } from '@tanstack/react-query';
import type { Operation, SnapshotEvent, SnapshotList } from '../../api/types';
import { qk } from '../keys';

/** Whether a snapshot operation of the VM is running, as the operations cache knows it. */
export function snapshotOpRunning(ops: readonly Operation[] | undefined, host: string, uuid: string): boolean {
  return (ops ?? []).some((o) => o.state === 'running' && o.kind.startsWith('snapshot-') && o.target.host === host && o.target.uuid === uuid);
}

/** The list without the named snapshots (a child of a removed one keeps its name for its parent: the re-read fixes the tree). */
export function dropSnapshots(list: SnapshotList | undefined, names: readonly string[]): SnapshotList | undefined {
  if (!list?.snapshots) return list;
  const gone = new Set(names);
  if (!list.snapshots.some((s) => gone.has(s.name))) return list;
  const snapshots = list.snapshots.filter((s) => !gone.has(s.name));
  return { ...list, snapshots, count: snapshots.length, current: list.current !== undefined && gone.has(list.current) ? undefined : list.current };
}

/** Whether key is one of the per-snapshot queries (details, diff) of a named snapshot of the VM. */
export function isQueryOfSnapshot(key: QueryKey, host: string, uuid: string, names: ReadonlySet<string>): boolean {
  const [a, h, u, , name] = key;
  return a === qk.snapshots(host, uuid)[0] && h === host && u === uuid && key.length === 5 && typeof name === 'string' && names.has(name);
}

const waiting = new WeakMap<QueryClient, Set<string>>();

/**
 * What a re-read covers: everything on screen about the VM's snapshots, or
 * only their list. An operation's start needs only the list (its `busy`
 * names the operation's snapshot); re-reading a snapshot's details then
 * raced the operation itself: a delete could remove the snapshot before
 * the read arrived, and the read answered 404.
 */
export type RereadScope = 'all' | 'list';

/**
 * Re-reads what is on screen about a VM's snapshots. A read still on its
 * way is not aborted (that wasted it, and its answer): once the reads end,
 * they are made once more, since they may have started before the change.
 */
export function rereadSnapshots(qc: QueryClient, host: string, uuid: string, scope: RereadScope = 'all'): void {
  const queryKey = qk.snapshots(host, uuid);
  const filters = scope === 'list' ? { queryKey, exact: true } : { queryKey };
  if (qc.isFetching(filters) === 0) {
    void qc.invalidateQueries(filters);
    return;
  }
  const id = `${hashKey(queryKey)}:${scope}`;
  const set = waiting.get(qc) ?? new Set<string>();
  waiting.set(qc, set);
  if (set.has(id)) return;
  set.add(id);
  const unsubscribe = qc.getQueryCache().subscribe(() => {
    if (qc.isFetching(filters) > 0) return;
    unsubscribe();
    set.delete(id);
    void qc.invalidateQueries(filters);
  });
}

/** Applies a snapshot event to the cache. */
export function applySnapshotEvent(qc: QueryClient, e: SnapshotEvent): void {
  const prefix = qk.snapshots(e.host, e.uuid);
  if (e.change === 'deleted' && e.names && e.names.length > 0) {
    const names = e.names;
    const gone = new Set(names);
    qc.setQueryData<SnapshotList>(prefix, (list) => dropSnapshots(list, names));
    qc.removeQueries({ predicate: (q) => isQueryOfSnapshot(q.queryKey, e.host, e.uuid, gone) });
  }
  if (snapshotOpRunning(qc.getQueryData<Operation[]>(qk.operations), e.host, e.uuid)) return;
  // A deletion changes no other snapshot's details: only the list is read
  // again. A delete of several snapshots publishes one event per snapshot
  // (leaves first); re-reading everything on the first one read the
  // details of the next one to go, and the next event cancelled that read
  // (seen in CI when the operation was not yet in the operations cache).
  rereadSnapshots(qc, e.host, e.uuid, e.change === 'deleted' ? 'list' : 'all');
}
