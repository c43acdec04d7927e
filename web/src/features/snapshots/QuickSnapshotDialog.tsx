// "Take snapshot" on a dashboard card: the same create dialog as the
// Snapshots tab, opened over the dashboard (its own chunk, loaded when a
// card asks), with what it needs read here: the VM's snapshot list (for the
// names taken, the pre-flight and the placement) and whether a snapshot
// operation already runs on the VM.

import { useQuery } from '@tanstack/react-query';
import { useCallback } from 'react';
import { toast } from 'sonner';
import { useOperations } from '../../resources/operation/queries';
import type { Operation, VM } from '../../api/types';
import { CreateSnapshotDialog } from './CreateSnapshotDialog';
import { listQuery, runningSnapshotOp } from '../../resources/snapshot/queries';
import './snapshots.css';

export default function QuickSnapshotDialog({ vm, onClose }: { vm: VM; onClose: () => void }) {
  const { host, uuid } = vm;
  const list = useQuery(listQuery(host, uuid)).data;
  const running = useOperations(useCallback((ops: Operation[]) => runningSnapshotOp(ops, host, uuid), [host, uuid])).data;
  return (
    <CreateSnapshotDialog
      vm={vm}
      list={list}
      open
      busy={running !== undefined}
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      onCreated={(name) => toast.success(`Snapshot “${name}” of ${vm.name} taken`)}
    />
  );
}
