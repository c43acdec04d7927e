import { useCallback } from 'react';
import { runningOperationFor } from '../../resources/operation/cache';
import { useOperations } from '../../resources/operation/queries';
import type { Operation } from '../../api/types';

/** The running operation on a VM, if any; re-renders only when it changes. */
export function useRunningOperation(host: string, uuid: string): Operation | undefined {
  const select = useCallback((ops: Operation[]) => runningOperationFor(ops, host, uuid), [host, uuid]);
  return useOperations(select).data;
}
