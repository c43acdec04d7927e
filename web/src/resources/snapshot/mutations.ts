// Changing snapshots. Create, revert and delete start operations (202):
// these functions start them, and the caller runs them to their end
// (runToEnd), which re-reads the list once (useSnapshotRereads). Editing a
// description answers at once and re-reads here.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Operation, Snapshot, SnapshotCreateRequest, SnapshotDeleteScope, SnapshotRevertRequest, VM } from '../../api/types';
import { qk } from '../keys';
import type { MutationCallbacks } from '../mutation';
import { snapshotsPath } from './queries';

type VMRef = Pick<VM, 'host' | 'uuid'>;

export function startCreateSnapshot(vm: VMRef, req: SnapshotCreateRequest): Promise<Operation> {
  return api<Operation>(snapshotsPath(vm.host, vm.uuid), { method: 'POST', body: req });
}

export function startRevertSnapshot(vm: VMRef, name: string, req: SnapshotRevertRequest): Promise<Operation> {
  return api<Operation>(`${snapshotsPath(vm.host, vm.uuid, name)}/revert`, { method: 'POST', body: req });
}

export function startDeleteSnapshot(vm: VMRef, name: string, scope: SnapshotDeleteScope): Promise<Operation> {
  return api<Operation>(`${snapshotsPath(vm.host, vm.uuid, name)}?scope=${scope}`, { method: 'DELETE' });
}

/** Changes a snapshot's description, then re-reads what is shown about the VM's snapshots. */
export function useEditSnapshotDescription(vm: VMRef, name: string, cb: MutationCallbacks<Snapshot, string> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (description: string) => api<Snapshot>(snapshotsPath(vm.host, vm.uuid, name), { method: 'PATCH', body: { description } }),
    onSuccess(res, description) {
      void qc.invalidateQueries({ queryKey: qk.snapshots(vm.host, vm.uuid) });
      cb.onSuccess?.(res, description);
    },
    onError: cb.onError,
  });
}
