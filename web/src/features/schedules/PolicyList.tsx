// A list of snapshot policies: the schedule in words, the next three runs in
// the server's and the browser's time zones, the retention, the last
// result, and an alert after three failures in a row.

import { CalendarClock, Pencil, Trash2, TriangleAlert } from 'lucide-react';
import { useState } from 'react';
import { toast } from 'sonner';
import type { SchedulePolicy } from '../../api/types';
import { useConfirm } from '../../components/ConfirmProvider';
import { toastError } from '../../components/toastError';
import { useNow } from '../../components/useNow';
import { formatIn } from '../../lib/format';
import { useDeletePolicy } from '../../resources/schedule/queries';
import { Banner, IconButton } from '../../ui';
import { describeRetention, describeRun, describeRunTime } from './model';
import { PolicyDialog } from './PolicyDialog';
import './schedules.css';

export interface PolicyListProps {
  policies: SchedulePolicy[];
  timeZone: string;
  /** The user may change policies. */
  mayChange: boolean;
  /** The host a new policy starts on. */
  host: string;
  /** How a VM is named in the targets (by UUID). */
  vmName?: (host: string, uuid: string) => string;
}

export function PolicyList({ policies, timeZone, mayChange, host, vmName }: PolicyListProps) {
  const [editing, setEditing] = useState<SchedulePolicy | null>(null);
  const confirm = useConfirm();
  const del = useDeletePolicy({ onSuccess: () => toast.success('Policy deleted'), onError: (e) => toastError(e) });
  const now = useNow(10_000);
  if (policies.length === 0) return <p className="muted small">No snapshot policy applies here.</p>;
  return (
    <>
      <ul className="sched-list" aria-label="Snapshot policies">
        {policies.map((p) => {
          const last = p.status.last;
          const targets = (p.targets ?? []).map((t) => (t.allVMs ? `every VM of ${t.host}` : (vmName?.(t.host, t.uuid ?? '') ?? t.uuid))).join(', ');
          return (
            <li key={p.id} aria-label={`Policy ${p.name}`}>
              {p.alert && (
                <Banner tone="bad" role="alert" title={`Policy ${p.name} failed ${p.status.failures} times in a row`}>
                  {describeRun(last ?? undefined)}
                </Banner>
              )}
              <div className="sched-line">
                <CalendarClock size={15} aria-hidden />
                <strong>{p.name}</strong>
                <span>{p.enabled === false ? 'disabled' : p.scheduleText}</span>
                <span className="muted small">· {describeRetention(p.retention)}</span>
                <span className="muted small">· {p.memory ? 'with memory' : 'disk-only'}{p.runWhileOff ? ', also while off' : ''}</span>
                {mayChange && (
                  <span className="sched-actions">
                    <IconButton label={`Edit policy ${p.name}`} onClick={() => setEditing(p)}>
                      <Pencil size={15} aria-hidden />
                    </IconButton>
                    <IconButton
                      label={`Delete policy ${p.name}`}
                      onClick={() =>
                        void confirm({
                          title: `Delete policy “${p.name}”?`,
                          body: 'Its snapshots stay, and are no longer pruned by anything.',
                          confirmLabel: 'Delete policy',
                          danger: true,
                        }).then((ok) => ok && del.mutate(p.id))
                      }
                    >
                      <Trash2 size={15} aria-hidden />
                    </IconButton>
                  </span>
                )}
              </div>
              {targets && <div className="muted small">Applies to {targets}</div>}
              <div className="small">
                Last run: {p.running ? 'running now' : describeRun(last ?? undefined)}
                {last?.missed && <span className="muted"> (made up at start)</span>}
                {p.status.failures > 0 && !p.alert && (
                  <span className="text-bad">
                    {' '}
                    <TriangleAlert size={13} aria-hidden /> {p.status.failures} failed in a row
                  </span>
                )}
              </div>
              {p.next.length > 0 && (
                <ol className="sched-next" aria-label={`Next runs of ${p.name}`}>
                  {p.next.map((t) => (
                    <li key={t}>
                      {formatIn(t, now)}: {describeRunTime(t, timeZone)}
                    </li>
                  ))}
                </ol>
              )}
            </li>
          );
        })}
      </ul>
      <PolicyDialog open={editing !== null} onOpenChange={(o) => !o && setEditing(null)} policy={editing ?? undefined} host={host} />
    </>
  );
}
