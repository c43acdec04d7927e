// The operations list in the cache: newest first, patched by `operation`
// events and by the 202 answers that start work.

import type { QueryClient } from '@tanstack/react-query';
import type { Operation } from '../../api/types';
import { qk } from '../keys';
import { patchCached } from '../patch';

/** Inserts or replaces an operation, newest first. */
export function upsertOperation(list: readonly Operation[] | undefined, op: Operation): Operation[] {
  const prev = list ?? [];
  const i = prev.findIndex((o) => o.id === op.id);
  if (i >= 0) {
    const old = prev[i];
    // A finished operation never goes back to running (events may race the 202 answer).
    if (old && old.state !== 'running' && op.state === 'running') return prev as Operation[];
    const next = prev.slice();
    next[i] = op;
    return next;
  }
  return [op, ...prev].sort((a, b) => Date.parse(b.started) - Date.parse(a.started));
}

/** Puts an operation into the cached list; returns it as the cache now holds it (a finished one may have arrived first). */
export function putOperation(qc: QueryClient, op: Operation): Operation {
  patchCached<Operation[]>(qc, qk.operations, (list) => upsertOperation(list, op));
  return qc.getQueryData<Operation[]>(qk.operations)?.find((o) => o.id === op.id) ?? op;
}

/** The running operation of a VM, if any (the newest). */
export function runningOperationFor(ops: readonly Operation[] | undefined, host: string, uuid: string): Operation | undefined {
  return ops?.find((o) => o.state === 'running' && o.target.host === host && o.target.uuid === uuid);
}
