// Reading a VM's snapshots, and running snapshot operations to their end.
// The list, the details and the diffs share the key prefix
// qk.snapshots(host, uuid), which `snapshot` events invalidate: one event
// refreshes everything on screen about the VM's snapshots.

import { hashKey, queryOptions, type QueryClient } from '@tanstack/react-query';
import { api, ApiError, vmPath } from '../../api/client';
import { qk } from '../../api/cache';
import type { Operation, SnapshotDetails, SnapshotDiff, SnapshotList } from '../../api/types';
import { followOperation } from '../operations/operations';

export function snapshotsPath(host: string, uuid: string, name?: string): string {
  const base = `${vmPath(host, uuid)}/snapshots`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function listQuery(host: string, uuid: string) {
  return queryOptions({
    queryKey: qk.snapshots(host, uuid),
    queryFn: ({ signal }) => api<SnapshotList>(snapshotsPath(host, uuid), { signal }),
  });
}

export function detailsQuery(host: string, uuid: string, name: string) {
  return queryOptions({
    queryKey: [...qk.snapshots(host, uuid), 'details', name] as const,
    queryFn: ({ signal }) => api<SnapshotDetails>(snapshotsPath(host, uuid, name), { signal }),
    // A snapshot that is gone stays gone: no retries on 404.
    retry: (n, err) => n < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
  });
}

export function diffQuery(host: string, uuid: string, name: string) {
  return queryOptions({
    queryKey: [...qk.snapshots(host, uuid), 'diff', name] as const,
    queryFn: ({ signal }) => api<SnapshotDiff>(`${snapshotsPath(host, uuid, name)}/diff`, { signal }),
    retry: false,
  });
}

/** The URL of the console screenshot stored with a snapshot (an <img> source; same-origin cookie). */
export function screenshotURL(host: string, uuid: string, name: string, creationTime: string): string {
  // The creation time keys the browser's cache: a name can be reused.
  return `${snapshotsPath(host, uuid, name)}/screenshot?t=${encodeURIComponent(creationTime)}`;
}

function finished(qc: QueryClient, id: string): Operation | undefined {
  const op = qc.getQueryData<Operation[]>(qk.operations)?.find((o) => o.id === id);
  return op && op.state !== 'running' ? op : undefined;
}

/**
 * Resolves with the operation once it has ended, as its events (or a
 * re-read of the operations list) put it into the cache. Its last event
 * may have come before the answer that named it: the cache is read first.
 */
export function waitOperation(qc: QueryClient, id: string): Promise<Operation> {
  const opsHash = hashKey(qk.operations);
  return new Promise((resolve) => {
    const done = finished(qc, id);
    if (done) {
      resolve(done);
      return;
    }
    const unsubscribe = qc.getQueryCache().subscribe((e) => {
      if (e.query.queryHash !== opsHash) return;
      const op = finished(qc, id);
      if (op) {
        unsubscribe();
        resolve(op);
      }
    });
  });
}

/** The error of a failed or canceled operation, as the ApiError the server would have answered. */
export function operationError(op: Operation): ApiError {
  if (op.state === 'canceled') return new ApiError(409, { code: 'canceled', message: 'the operation was canceled' });
  return new ApiError(500, op.error ?? { code: 'operation_failed', message: 'the operation failed' });
}

/**
 * Starts a snapshot operation (a 202 answer), follows it in a toast and
 * resolves with its result when it succeeded; a failure rejects with the
 * server's message and hint. `onStarted` receives the operation at once.
 */
export async function runOperation<T>(qc: QueryClient, start: () => Promise<Operation>, onStarted?: (op: Operation) => void): Promise<T> {
  const op = await start();
  followOperation(qc, op);
  onStarted?.(op);
  const end = await waitOperation(qc, op.id);
  if (end.state !== 'succeeded') throw operationError(end);
  return end.result as T;
}

/** The running snapshot operation on a VM, if any. */
export function runningSnapshotOp(ops: readonly Operation[] | undefined, host: string, uuid: string): Operation | undefined {
  return ops?.find((o) => o.state === 'running' && o.kind.startsWith('snapshot-') && o.target.host === host && o.target.uuid === uuid);
}

/**
 * Whether the list's `busy` still holds: it is read with the list, which
 * is re-read on snapshot events, but a failed operation changes no
 * snapshot; the operation's own state is fresher.
 */
export function busyStillHolds(b: SnapshotList['busy'], ops: readonly Operation[] | undefined): boolean {
  if (!b) return false;
  if (!b.operation) return true;
  const op = ops?.find((o) => o.id === b.operation);
  return op === undefined || op.state === 'running';
}
