// Reading a VM's snapshots. The list, the details and the diffs share the
// key prefix qk.snapshots(host, uuid), which `snapshot` events re-read
// (./events.ts): one event refreshes everything on screen about the VM's
// snapshots.

import { queryOptions } from '@tanstack/react-query';
import { api, ApiError, vmPath } from '../../api/client';
import type { Operation, SnapshotDetails, SnapshotDiff, SnapshotList } from '../../api/types';
import { qk } from '../keys';

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
    // No abort signal: a read that the page no longer needs (another
    // snapshot was selected, or a newer read was asked for) is small and
    // left to finish into the cache, rather than cancelled as a failed
    // request (each snapshot operation aborted some, seen in CI).
    queryFn: () => api<SnapshotDetails>(snapshotsPath(host, uuid, name)),
    // A snapshot that is gone stays gone: no retries on 404.
    retry: (n, err) => n < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
  });
}

export function diffQuery(host: string, uuid: string, name: string) {
  return queryOptions({
    queryKey: [...qk.snapshots(host, uuid), 'diff', name] as const,
    // No abort signal, as for the details.
    queryFn: () => api<SnapshotDiff>(`${snapshotsPath(host, uuid, name)}/diff`),
    retry: false,
  });
}

/** The URL of the console screenshot stored with a snapshot (an <img> source; same-origin cookie). */
export function screenshotURL(host: string, uuid: string, name: string, creationTime: string): string {
  // The creation time keys the browser's cache: a name can be reused.
  return `${snapshotsPath(host, uuid, name)}/screenshot?t=${encodeURIComponent(creationTime)}`;
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
