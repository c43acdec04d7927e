// The status bar: the live connection, each host's connection state, and
// running and recently finished operations (details on click).

import { CircleCheck, CircleX, ListChecks, LoaderCircle, Radio, Server, X } from 'lucide-react';
import { Popover } from 'radix-ui';
import { useMemo } from 'react';
import { Link } from 'wouter';
import { connection } from '../../api/events';
import { useHosts } from '../../resources/host/queries';
import { useCancelOperation, useOperations } from '../../resources/operation/queries';
import type { Host, Operation } from '../../api/types';
import { useNow, useRelativeNow } from '../../components/useNow';
import { formatAgo, formatDateTime, formatDuration, formatIn } from '../../lib/format';
import { createStore, useStore } from '../../lib/store';
import { vmHref } from '../../resources/vm/model';
import { describeOperation, describeProgress, describeResult, operationBy, operationLabel } from '../operations/operations';
import { useAccess } from '../security/useAccess';
import { useCommandScope } from '../commands/CommandsProvider';
import { toastError } from '../../components/toastError';
import { Button, IconButton } from '../../ui';
import { ScheduleAlertItem } from '../schedules/ScheduleAlerts';
import './status.css';

/** Whether the operations popover is open (g o opens it). */
export const opsOpenStore = createStore(false);

function HostItem({ host, stale }: { host: Host; stale: boolean }) {
  const now = useRelativeNow(host.since, host.state === 'connected' ? undefined : host.nextRetry);
  return (
    <Popover.Root>
      <Popover.Trigger
        className={`status-item host-item host-${host.state}${stale ? ' is-stale' : ''}`}
        aria-label={`${host.name}: ${host.state}${stale ? ' (last known: the server cannot be reached)' : ''}. Details`}
      >
        <span className="dot" aria-hidden />
        <span>
          {host.name}: {host.state}
        </span>
        {host.state !== 'connected' && host.error && <span className="host-error">{host.error}</span>}
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content className="popover" side="top" align="start" sideOffset={6} collisionPadding={8}>
          <h3 className="popover-title">
            <Server size={15} aria-hidden /> Host {host.name}
          </h3>
          {stale && <p className="text-bad small">The server cannot be reached: this is the last known state.</p>}
          <dl className="kv">
            <dt>State</dt>
            <dd>
              {host.state} since {formatAgo(host.since, now)}
            </dd>
            {host.error && (
              <>
                <dt>Reason</dt>
                <dd className="text-bad">{host.error}</dd>
              </>
            )}
            {host.nextRetry && host.state !== 'connected' && (
              <>
                <dt>Next try</dt>
                <dd>{formatIn(host.nextRetry, now)}</dd>
              </>
            )}
            <dt>URI</dt>
            <dd className="mono">{host.uri}</dd>
            {host.hostname && (
              <>
                <dt>Hostname</dt>
                <dd>{host.hostname}</dd>
              </>
            )}
            {host.libvirtVersion && (
              <>
                <dt>libvirt</dt>
                <dd>{host.libvirtVersion}</dd>
              </>
            )}
          </dl>
          <Popover.Arrow className="popover-arrow" />
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

function OpIcon({ op }: { op: Operation }) {
  switch (op.state) {
    case 'running':
      return <LoaderCircle size={14} className="spin" aria-hidden />;
    case 'succeeded':
      return <CircleCheck size={14} className="text-ok" aria-hidden />;
    default:
      return <CircleX size={14} className="text-bad" aria-hidden />;
  }
}

function OperationDetails({ op, now }: { op: Operation; now: number }) {
  // Cancelling is an operator's right, like starting the work was.
  const access = useAccess();
  const mayCancel = access.can('vm.power');
  const by = operationBy(op, access.user);
  const cancel = useCancelOperation(op, { onError: (e) => toastError(e) });
  const end = op.finished ? Date.parse(op.finished) : now;
  return (
    <li className={`op op-${op.state}`}>
      <details>
        <summary>
          <OpIcon op={op} />
          <span className="op-title">{op.state === 'running' ? describeOperation(op) : describeResult(op)}</span>
          <span className="muted op-when">{op.state === 'running' ? describeProgress(op) : formatAgo(op.finished ?? op.started, now)}</span>
        </summary>
        <dl className="kv">
          <dt>Operation</dt>
          <dd>
            {op.kind} <span className="muted mono">{op.id.slice(0, 8)}</span>
          </dd>
          {op.target.host && op.target.uuid && (
            <>
              <dt>VM</dt>
              <dd>
                <Link href={vmHref(op.target.host, op.target.uuid)}>{op.target.name ?? op.target.uuid}</Link> on {op.target.host}
              </dd>
            </>
          )}
          {by && (
            <>
              <dt>Asked by</dt>
              <dd>{by}</dd>
            </>
          )}
          <dt>State</dt>
          <dd>{op.state}</dd>
          <dt>Stage</dt>
          <dd>{describeProgress(op) || '—'}</dd>
          <dt>Started</dt>
          <dd>{formatDateTime(op.started)}</dd>
          <dt>{op.finished ? 'Took' : 'Running for'}</dt>
          <dd>{formatDuration(end - Date.parse(op.started))}</dd>
          {op.error && (
            <>
              <dt>Error</dt>
              <dd className="text-bad">
                {op.error.message}
                {op.error.hint && <div className="muted">{op.error.hint}</div>}
              </dd>
            </>
          )}
        </dl>
        {op.state === 'running' && op.mayCancel && mayCancel && (
          <Button size="sm" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
            Cancel operation
          </Button>
        )}
      </details>
    </li>
  );
}

function Operations() {
  const ops = useOperations().data;
  const open = useStore(opsOpenStore);
  const running = useMemo(() => ops?.filter((o) => o.state === 'running') ?? [], [ops]);
  const finished = useMemo(
    () =>
      (ops ?? [])
        .filter((o) => o.state !== 'running')
        .sort((a, b) => Date.parse(b.finished ?? b.started) - Date.parse(a.finished ?? a.started)),
    [ops],
  );
  const first = running[0];
  const recent = finished.slice(0, 3);
  // Running operations' progress ticks every second; the finished ones'
  // "… ago" ticks as fast as the newest of them needs.
  const tick = useNow(open || running.length > 0 ? 1000 : 0);
  const rel = useRelativeNow(...recent.map((o) => o.finished ?? o.started));
  const now = Math.max(tick, rel);
  return (
    <Popover.Root open={open} onOpenChange={(o) => opsOpenStore.set(o)}>
      {/* The accessible name is the visible text (WCAG 2.5.3), with a
          hidden lead-in saying what the button is. */}
      <Popover.Trigger className="status-item ops-trigger">
        <span className="sr-only">Operations: </span>
        <ListChecks size={14} aria-hidden />
        {first ? (
          <span className="ops-running">
            {describeOperation(first)}
            <span className="mini-progress" aria-hidden>
              <span style={{ width: `${first.progress.percent ?? 5}%` }} />
            </span>
            {first.progress.percent !== undefined && <span>{first.progress.percent}%</span>}
            {running.length > 1 && <span className="muted"> +{running.length - 1} more</span>}
          </span>
        ) : (
          <span className="muted">No running operations</span>
        )}
        {recent.map((op) => (
          <span key={op.id} className={`recent-op recent-${op.state}`} title={describeResult(op)}>
            <OpIcon op={op} />
            <span className="sr-only">{op.state === 'succeeded' ? 'done: ' : `${op.state}: `}</span>
            <span className="recent-name">{operationLabel(op)}</span>
          </span>
        ))}
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content className="popover popover-ops" side="top" align="end" sideOffset={6} collisionPadding={8}>
          <div className="popover-head">
            <h3 className="popover-title">Operations</h3>
            <Popover.Close asChild>
              <IconButton label="Close">
                <X size={15} aria-hidden />
              </IconButton>
            </Popover.Close>
          </div>
          {ops?.length === 0 && <p className="muted">No operations in the last 15 minutes.</p>}
          {running.length > 0 && (
            <>
              <h4 className="ops-section">Running</h4>
              <ul className="ops-list">
                {running.map((op) => (
                  <OperationDetails key={op.id} op={op} now={now} />
                ))}
              </ul>
            </>
          )}
          {finished.length > 0 && (
            <>
              <h4 className="ops-section">Finished</h4>
              <ul className="ops-list">
                {finished.slice(0, 30).map((op) => (
                  <OperationDetails key={op.id} op={op} now={now} />
                ))}
              </ul>
            </>
          )}
          <p className="muted small">Finished operations are kept for 15 minutes.</p>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

function LiveItem() {
  const c = useStore(connection);
  const label = c.status === 'open' ? 'Live' : c.status === 'connecting' ? 'Connecting…' : 'Offline';
  return (
    <span className={`status-item live live-${c.status}`} title={c.status === 'open' ? 'Receiving live updates' : c.error}>
      <Radio size={14} aria-hidden />
      {label}
    </span>
  );
}

export function StatusBar() {
  const hosts = useHosts().data;
  const stale = useStore(connection, (c) => c.status === 'down');
  useCommandScope('status', { showOperations: () => opsOpenStore.set(true) });
  return (
    <footer className="statusbar" aria-label="Status bar">
      <LiveItem />
      <div className="status-hosts">
        {hosts?.map((h) => (
          <HostItem key={h.name} host={h} stale={stale} />
        ))}
      </div>
      <div className="status-spacer" />
      <ScheduleAlertItem />
      <Operations />
    </footer>
  );
}
