// The Schedules page (/schedules): every snapshot policy with its schedule
// in words, next runs, retention, last result and alert; create, edit and
// delete. "schedule" events keep it current.

import { CalendarClock, Plus } from 'lucide-react';
import { useState } from 'react';
import { ErrorNote } from '../../components/ErrorNote';
import { useTitle } from '../../components/useTitle';
import { useHosts } from '../../resources/host/queries';
import { useSchedules } from '../../resources/schedule/queries';
import { useVMs } from '../../resources/vm/queries';
import { Button } from '../../ui';
import { useAccess } from '../security/useAccess';
import { PolicyDialog } from './PolicyDialog';
import { PolicyList } from './PolicyList';
import './schedules.css';

export default function SchedulesPage() {
  useTitle('Snapshot schedules');
  const q = useSchedules();
  const vms = useVMs().data ?? [];
  const host = useHosts().data?.[0]?.name ?? 'local';
  const { can } = useAccess();
  const mayChange = can('vm.snapshot');
  const [creating, setCreating] = useState(false);
  const vmName = (h: string, uuid: string) => vms.find((v) => v.host === h && v.uuid === uuid)?.name ?? uuid;
  return (
    <div className="page-scroll">
      <div className="page">
        <div className="sched-line">
          <h1>
            <CalendarClock size={22} aria-hidden /> Snapshot schedules
          </h1>
          {mayChange && (
            <span className="sched-actions">
              <Button variant="primary" onClick={() => setCreating(true)}>
                <Plus size={16} aria-hidden /> New policy
              </Button>
            </span>
          )}
        </div>
        <p className="muted small">
          Policies take snapshots on a schedule and prune their own by retention. Times are the server’s ({q.data?.timeZone ?? '…'}) and yours.
        </p>
        {q.isError && !q.data ? (
          <ErrorNote error={q.error} title="The policies cannot be read" onRetry={() => void q.refetch()} />
        ) : q.data ? (
          <section className="panel">
            <PolicyList policies={q.data.policies} timeZone={q.data.timeZone} mayChange={mayChange} host={host} vmName={vmName} />
          </section>
        ) : (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
        {mayChange && <PolicyDialog open={creating} onOpenChange={setCreating} host={host} />}
      </div>
    </div>
  );
}
