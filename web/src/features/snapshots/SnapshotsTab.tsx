// The VM's Snapshots tab: the snapshot tree, details and actions.

import { Camera } from 'lucide-react';
import type { VM } from '../../api/types';
import { Placeholder } from '../../components/Placeholder';
import { plural } from '../../lib/format';

export default function SnapshotsTab({ vm }: { vm: VM }) {
  return (
    <Placeholder icon={<Camera size={32} aria-hidden />} title="Snapshots">
      <p>Taking, reverting and deleting snapshots arrive in a later release of KVM Manager.</p>
      <p className="muted">{vm.snapshotCount > 0 ? `This VM has ${plural(vm.snapshotCount, 'snapshot')}.` : 'This VM has no snapshots.'}</p>
    </Placeholder>
  );
}
