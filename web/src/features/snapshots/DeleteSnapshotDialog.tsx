// Deleting a snapshot, it and its descendants, or only its descendants:
// each scope says exactly which snapshots go and what becomes of the rest,
// and a scope libvirt cannot carry out is shown as such, with the server's
// reason, before any click.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle, Trash2 } from 'lucide-react';
import { useId, useState } from 'react';
import type { SnapshotDeleteResult, SnapshotDeleteScope, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { useOperations } from '../../resources/operation/queries';
import { plural } from '../../lib/format';
import { describeProgress } from '../operations/operations';
import { deletePlan, nameList, type Forest } from './model';
import { Reasons } from './parts';
import { startDeleteSnapshot } from '../../resources/snapshot/mutations';
import { detailsQuery } from '../../resources/snapshot/queries';
import { runOperation } from './runOperation';
import { Button, Dialog, DialogActions, DialogClose, DialogDescription, DialogTitle } from '../../ui';

export interface DeleteSnapshotDialogProps {
  vm: VM;
  forest: Forest;
  name: string;
  scope: SnapshotDeleteScope;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onDeleted?: (res: SnapshotDeleteResult) => void;
}

export function DeleteSnapshotDialog(props: DeleteSnapshotDialogProps) {
  return (
    <Dialog alert wide className="snap-dialog" open={props.open} onOpenChange={props.onOpenChange}>
      {props.open && <DeleteBody {...props} />}
    </Dialog>
  );
}

const SCOPES: readonly SnapshotDeleteScope[] = ['one', 'subtree', 'children'];

/** What a scope's option says, for a snapshot with n descendants. */
export function scopeTitle(scope: SnapshotDeleteScope, name: string, descendants: number): string {
  switch (scope) {
    case 'one':
      return `Only “${name}”`;
    case 'subtree':
      return `“${name}” and its ${plural(descendants, 'descendant')}`;
    case 'children':
      return `Only its ${plural(descendants, 'descendant')}, keeping “${name}”`;
  }
}

function DeleteBody({ vm, forest, name, scope: initial, onOpenChange, onDeleted }: DeleteSnapshotDialogProps) {
  const qc = useQueryClient();
  const id = useId();
  const snap = forest.byName.get(name);
  // Once deleted (the list no longer has it), it is not read again.
  const details = useQuery({ ...detailsQuery(vm.host, vm.uuid, name), enabled: snap !== undefined });
  const d = details.data;
  const descendants = snap?.descendants ?? 0;
  // Without descendants the three scopes are one: offer the plain delete.
  const scopes = descendants > 0 ? SCOPES : (['one'] as const);
  const [scope, setScope] = useState<SnapshotDeleteScope>(descendants > 0 ? initial : 'one');
  const [opId, setOpId] = useState<string | null>(null);
  const plan = deletePlan(forest, name, scope);
  const cap = d?.delete[scope];

  const del = useMutation({
    mutationFn: (s: SnapshotDeleteScope) =>
      runOperation<SnapshotDeleteResult>(
        qc,
        () => startDeleteSnapshot(vm, name, s),
        (op) => setOpId(op.id),
      ),
    onSuccess: (res) => {
      onDeleted?.(res);
      onOpenChange(false);
    },
  });
  const op = useOperations((ops) => (opId ? ops.find((o) => o.id === opId) : undefined)).data;
  const running = del.isPending;
  const n = plan.deleted.length;

  return (
    <>
      <DialogTitle>
        {scope === 'one' ? `Delete snapshot “${name}”?` : scope === 'subtree' ? `Delete “${name}” and its descendants?` : `Delete the descendants of “${name}”?`}
      </DialogTitle>
      <DialogDescription className="dialog-body">
        The saved state of {n === 1 ? 'this snapshot is' : `these ${n} snapshots is`} lost for good. The VM itself and its present state are not changed.
      </DialogDescription>

      {scopes.length > 1 && (
        <fieldset className="snap-group" disabled={running}>
          <legend>Delete</legend>
          {scopes.map((s) => {
            const c = d?.delete[s];
            return (
              <div className="check-row" key={s}>
                <input id={`${id}-${s}`} type="radio" name="scope" checked={scope === s} disabled={c !== undefined && !c.possible} onChange={() => setScope(s)} />
                <label htmlFor={`${id}-${s}`}>
                  <span>{scopeTitle(s, name, descendants)}</span>
                  {c && !c.possible && <Reasons cap={c} />}
                </label>
              </div>
            );
          })}
        </fieldset>
      )}

      <div className="delete-summary" aria-live="polite">
        <strong>What will happen</strong>
        <ul>
          <li>
            Deleted: {plural(n, 'snapshot')}
            {n > 0 ? ` — ${nameList(plan.deleted, 12)}` : ''}.
          </li>
          {plan.moved.length > 0 && (
            <li>
              {nameList(plan.moved)} {plan.moved.length === 1 ? 'moves' : 'move'} up to{' '}
              {snap?.parent !== undefined ? `“${snap.parent}”` : 'the top of the tree'}.
            </li>
          )}
          {plan.newCurrent !== undefined && (
            <li>
              The current snapshot is deleted:{' '}
              {plan.newCurrent === '' ? 'the VM then has no current snapshot.' : `“${plan.newCurrent}” becomes the current snapshot.`}
            </li>
          )}
        </ul>
        {details.isPending && <p className="muted small">Checking what libvirt can delete…</p>}
        {cap && !cap.possible && scopes.length === 1 && <Reasons cap={cap} />}
      </div>
      {details.isError && <ErrorNote error={details.error} title="The snapshot cannot be read" />}

      {running && (
        <p className="snap-progress" role="status">
          <LoaderCircle size={16} className="spin" aria-hidden />
          {op ? `Deleting… ${describeProgress(op)}` : 'Starting…'}
        </p>
      )}
      {del.error && !running && <ErrorNote error={del.error} title="Not everything was deleted" />}

      <DialogActions>
        <DialogClose>{running ? 'Close (it goes on)' : 'Cancel'}</DialogClose>
        <Button
          variant="danger"
          disabled={running || !cap?.possible || n === 0}
          aria-busy={running || undefined}
          onClick={() => del.mutate(scope)}
        >
          {running ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Trash2 size={16} aria-hidden />}
          {running ? 'Deleting…' : n === 1 ? 'Delete snapshot' : `Delete ${plural(n, 'snapshot')}`}
        </Button>
      </DialogActions>
    </>
  );
}
