// The Snapshots tab's Schedules section: the policies that apply to this
// VM, a new policy for it, and pinning (a pinned snapshot is never pruned).

import { CalendarClock, Pin, PinOff, Plus } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'wouter';
import type { VM } from '../../api/types';
import { toastError } from '../../components/toastError';
import { usePinSnapshot, useSchedules, useVMSchedules } from '../../resources/schedule/queries';
import { Button } from '../../ui';
import { useAccess } from '../security/useAccess';
import { PolicyDialog } from './PolicyDialog';
import { PolicyList } from './PolicyList';
import './schedules.css';

export function SchedulesSection({ vm, selected }: { vm: VM; selected?: string }) {
  const q = useVMSchedules(vm.host, vm.uuid);
  const zone = useSchedules().data?.timeZone ?? 'server';
  const { can } = useAccess();
  const mayChange = can('vm.snapshot');
  const [creating, setCreating] = useState(false);
  const pin = usePinSnapshot(vm.host, vm.uuid);
  const pins = q.data?.pins ?? [];
  const owned = q.data?.owned ?? [];
  const selectedPinned = selected !== undefined && pins.some((p) => p.name === selected);
  const ownedBy = selected !== undefined ? owned.find((o) => o.name === selected) : undefined;
  const policyName = (id: string) => q.data?.policies.find((p) => p.id === id)?.name ?? 'a deleted policy';
  return (
    <section className="panel" aria-labelledby="sched-title">
      <div className="sched-line">
        <h2 id="sched-title" className="panel-title">
          <CalendarClock size={16} aria-hidden /> Schedules
        </h2>
        <span className="sched-actions">
          {mayChange && (
            <Button onClick={() => setCreating(true)}>
              <Plus size={15} aria-hidden /> New policy for this VM
            </Button>
          )}
          <Link href="/schedules" className="small">
            All policies
          </Link>
        </span>
      </div>
      {q.data && <PolicyList policies={q.data.policies} timeZone={zone} mayChange={mayChange} host={vm.host} vmName={(_, u) => (u === vm.uuid ? vm.name : u)} />}
      {selected && (
        <p className="small sched-line">
          <span>
            Selected snapshot “{selected}”: {ownedBy ? `taken by policy ${policyName(ownedBy.policy)}${ownedBy.consistency ? ` (${ownedBy.consistency})` : ''}` : 'not taken by a policy'}
            {selectedPinned ? '; pinned, never pruned.' : '.'}
          </span>
          {mayChange && (
            <Button disabled={pin.isPending} onClick={() => pin.mutate({ name: selected, pinned: !selectedPinned }, { onError: (e) => toastError(e) })}>
              {selectedPinned ? <PinOff size={15} aria-hidden /> : <Pin size={15} aria-hidden />}
              {selectedPinned ? 'Unpin' : 'Pin'}
            </Button>
          )}
        </p>
      )}
      {pins.length > 0 && <p className="muted small">Pinned: {pins.map((p) => p.name).join(', ')}</p>}
      {mayChange && <PolicyDialog open={creating} onOpenChange={setCreating} host={vm.host} uuid={vm.uuid} />}
    </section>
  );
}
