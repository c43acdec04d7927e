// Reverting to a snapshot: what happens to the VM, which moment it
// returns to, what is lost (the server's own words), what the VM does
// afterwards, and, when libvirt calls the revert risky, its warning and
// the choice to force it.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle, RotateCcw, TriangleAlert } from 'lucide-react';
import { useId, useState } from 'react';
import { ApiError } from '../../api/client';
import type { RevertAfter, SnapshotRevertRequest, SnapshotRevertResult, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { useOperations } from '../../resources/operation/queries';
import { isActive, stateLabel } from '../../resources/vm/model';
import { describeProgress } from '../operations/operations';
import { impactText, revertLead, snapshotStateLabel, stateAfterRevert } from './model';
import { Reasons } from './parts';
import { startRevertSnapshot } from '../../resources/snapshot/mutations';
import { detailsQuery } from '../../resources/snapshot/queries';
import { runOperation } from './runOperation';
import { Button, Dialog, DialogActions, DialogClose, DialogDescription, DialogTitle } from '../../ui';

export interface RevertDialogProps {
  vm: VM;
  name: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onReverted?: (res: SnapshotRevertResult) => void;
}

export function RevertDialog(props: RevertDialogProps) {
  return (
    <Dialog alert wide className="snap-dialog" open={props.open} onOpenChange={props.onOpenChange}>
      {props.open && <RevertBody {...props} />}
    </Dialog>
  );
}

function RevertBody({ vm, name, onOpenChange, onReverted }: RevertDialogProps) {
  const qc = useQueryClient();
  const id = useId();
  const details = useQuery(detailsQuery(vm.host, vm.uuid, name));
  const d = details.data;
  const [after, setAfter] = useState<RevertAfter>('snapshot');
  const [opId, setOpId] = useState<string | null>(null);
  const active = d ? d.revert.needsConfirm : isActive(vm.state);

  const revert = useMutation({
    mutationFn: (force: boolean) => {
      const body: SnapshotRevertRequest = { after, confirm: true };
      if (force) body.force = true;
      return runOperation<SnapshotRevertResult>(
        qc,
        () => startRevertSnapshot(vm, name, body),
        (op) => setOpId(op.id),
      );
    },
    onSuccess: (res) => {
      onReverted?.(res);
      onOpenChange(false);
    },
  });
  const op = useOperations((ops) => (opId ? ops.find((o) => o.id === opId) : undefined)).data;
  const running = revert.isPending;
  const risky = revert.error instanceof ApiError && revert.error.code === 'revert_risky' ? revert.error : null;
  const possible = d?.revert.possible ?? false;

  return (
    <>
      <DialogTitle>
        Revert “{vm.name}” to “{name}”?
      </DialogTitle>
      <DialogDescription asChild>
        <div className="dialog-body">
          {details.isPending && (
            <p className="muted" role="status">
              <LoaderCircle size={14} className="spin" aria-hidden /> Reading the snapshot…
            </p>
          )}
          {details.isError && <ErrorNote error={details.error} title="The snapshot cannot be read" />}
          {d && (
            <>
              <p className="snap-lead">{revertLead(vm.name, active, d, after)}</p>
              <div className={`snap-impact${active ? ' is-active' : ''}`}>
                <TriangleAlert size={16} aria-hidden />
                <div>
                  <strong>What is lost</strong>
                  <p className="sentence">{impactText(d.revert.impact)}.</p>
                </div>
              </div>
              {!possible && <Reasons cap={d.revert} />}
              {possible && (d.revert.notes ?? []).length > 0 && <Reasons cap={{ ...d.revert, reasons: [], fixes: [] }} showNotes />}
            </>
          )}
        </div>
      </DialogDescription>

      {d && possible && (
        <fieldset className="snap-group" disabled={running}>
          <legend>Afterwards the VM is</legend>
          {(['snapshot', 'running', 'paused'] as const).map((a) => (
            <div className="check-row" key={a}>
              <input id={`${id}-${a}`} type="radio" name="after" checked={after === a} onChange={() => setAfter(a)} />
              <label htmlFor={`${id}-${a}`}>
                <span>
                  {a === 'snapshot'
                    ? `As the snapshot recorded it: ${stateLabel(stateAfterRevert(d, 'snapshot')).toLowerCase()}`
                    : a === 'running'
                      ? 'Running'
                      : 'Paused'}
                </span>
                <span className="muted small">
                  {a === 'snapshot'
                    ? `Taken while ${snapshotStateLabel(d.state).toLowerCase()}${d.memory ? ', with memory' : ', disks only'}.`
                    : a === 'running'
                      ? 'Started (or resumed) after the revert.'
                      : 'Left paused, to look at it before it runs on.'}
                </span>
              </label>
            </div>
          ))}
        </fieldset>
      )}

      {running && (
        <p className="snap-progress" role="status">
          <LoaderCircle size={16} className="spin" aria-hidden />
          {op ? `Reverting… ${describeProgress(op)}` : 'Starting…'}
        </p>
      )}
      {risky && !running && (
        <div className="snap-impact is-active" role="alert">
          <TriangleAlert size={16} aria-hidden />
          <div>
            <strong>libvirt calls this revert risky</strong>
            <p className="sentence">{risky.message}</p>
            <p className="muted small">Revert with force only if you accept that risk.</p>
          </div>
        </div>
      )}
      {revert.error && !risky && !running && <ErrorNote error={revert.error} title="The VM was not reverted" />}

      <DialogActions>
        <DialogClose>{running ? 'Close (it goes on)' : 'Cancel'}</DialogClose>
        {risky && !running ? (
          <Button variant="danger" onClick={() => revert.mutate(true)}>
            <RotateCcw size={16} aria-hidden />
            Revert with force
          </Button>
        ) : (
          <Button
            variant="danger"
            disabled={!possible || running}
            aria-busy={running || undefined}
            onClick={() => revert.mutate(false)}
          >
            {running ? <LoaderCircle size={16} className="spin" aria-hidden /> : <RotateCcw size={16} aria-hidden />}
            {running ? 'Reverting…' : 'Revert'}
          </Button>
        )}
      </DialogActions>
    </>
  );
}
