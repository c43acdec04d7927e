// When a VM's snapshot list is read again while its tab is open: when a
// snapshot operation of the VM starts (for `busy`, which names its
// snapshot) and ends (a failed one publishes no snapshot event), and when
// the VM's state changes outside snapshot work (the pre-flight and what a
// revert needs depend on it). Only at the start and the end: every
// progress step is an operation event too, and each re-read aborted the
// one before.

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Operation, VM } from '../../api/types';
import { onOperation } from '../operation/listeners';
import { rereadSnapshots } from './events';

function isSnapshotOpOf(op: Operation, host: string, uuid: string): boolean {
  return op.kind.startsWith('snapshot-') && op.target.host === host && op.target.uuid === uuid;
}

/** Keeps the VM's snapshot queries current; `snapshotWorkRuns` holds re-reads on state changes until the work ends. */
export function useSnapshotRereads(vm: Pick<VM, 'host' | 'uuid' | 'state'>, snapshotWorkRuns: boolean): void {
  const qc = useQueryClient();
  const { host, uuid } = vm;
  useEffect(() => {
    const seen = new Map<string, Operation['state']>();
    return onOperation((op) => {
      if (!isSnapshotOpOf(op, host, uuid) || seen.get(op.id) === op.state) return;
      seen.set(op.id, op.state);
      // At the start only the list (for `busy`): details read then could
      // race the operation (a snapshot being deleted answers 404).
      rereadSnapshots(qc, host, uuid, op.state === 'running' ? 'list' : 'all');
    });
  }, [qc, host, uuid]);
  // A snapshot operation changes the VM's state on its way (a revert stops
  // and starts it): its end re-reads the list, not each change.
  const stateSeen = useRef(vm.state);
  useEffect(() => {
    if (stateSeen.current === vm.state) return;
    stateSeen.current = vm.state;
    if (!snapshotWorkRuns) rereadSnapshots(qc, host, uuid);
  }, [qc, host, uuid, vm.state, snapshotWorkRuns]);
}
