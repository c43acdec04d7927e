// Runs a snapshot operation to its end (resources/operation: runToEnd) and
// follows it in a toast while it runs.

import type { QueryClient } from '@tanstack/react-query';
import type { Operation } from '../../api/types';
import { runToEnd } from '../../resources/operation/queries';
import { followOperation } from '../operations/operations';

/**
 * Starts a snapshot operation (a 202 answer), follows it in a toast and
 * resolves with its result when it succeeded; a failure rejects with the
 * server's message and hint. `onStarted` receives the operation at once.
 */
export function runOperation<T>(qc: QueryClient, start: () => Promise<Operation>, onStarted?: (op: Operation) => void): Promise<T> {
  return runToEnd<T>(qc, start, (op) => {
    followOperation(qc, op);
    onStarted?.(op);
  });
}
