// Reading operations, waiting for one to end, and cancelling one.

import { hashKey, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';
import type { Operation } from '../../api/types';
import { qk } from '../keys';
import type { MutationCallbacks } from '../mutation';
import { putOperation } from './cache';

export function useOperations<T = Operation[]>(select?: (ops: Operation[]) => T) {
  return useQuery({
    queryKey: qk.operations,
    queryFn: async ({ signal }) => (await api<{ operations: Operation[] | null }>('/api/v1/operations', { signal })).operations ?? [],
    select,
  });
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
 * Starts an operation (a 202 answer), puts it into the cache, and resolves
 * with its result when it succeeded; a failure rejects with the server's
 * message and hint. `onStarted` receives the operation at once.
 */
export async function runToEnd<T>(qc: QueryClient, start: () => Promise<Operation>, onStarted?: (op: Operation) => void): Promise<T> {
  const op = await start();
  putOperation(qc, op);
  onStarted?.(op);
  const end = await waitOperation(qc, op.id);
  if (end.state !== 'succeeded') throw operationError(end);
  return end.result as T;
}

/** Cancels an operation; its new state goes into the cache. */
export function useCancelOperation(op: Pick<Operation, 'id'>, cb: MutationCallbacks<Operation, void> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<Operation>(`/api/v1/operations/${encodeURIComponent(op.id)}`, { method: 'DELETE' }),
    onSuccess(o) {
      putOperation(qc, o);
      cb.onSuccess?.(o);
    },
    onError: cb.onError,
  });
}
