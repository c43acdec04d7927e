// Who wants to hear about every operation event (toasts of followed work,
// re-reads of what an operation's end changes). The event table calls
// notifyOperation after the operation is in the cache.

import type { Operation } from '../../api/types';

export type OperationListener = (op: Operation) => void;
const operationListeners = new Set<OperationListener>();

/** Calls fn with every operation event (for toasts of finished work). Returns the unsubscribe function. */
export function onOperation(fn: OperationListener): () => void {
  operationListeners.add(fn);
  return () => operationListeners.delete(fn);
}

export function notifyOperation(op: Operation): void {
  for (const l of [...operationListeners]) l(op);
}
