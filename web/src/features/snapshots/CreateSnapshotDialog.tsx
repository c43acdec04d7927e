// Taking a snapshot: name (checked as you type, with the server's rule),
// description, what it holds (memory and disks, or disks only) and
// quiescing as the pre-flight allows, where it goes in the tree, and the
// operation's progress until it is done.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { zodResolver } from '@hookform/resolvers/zod';
import { Camera, LoaderCircle } from 'lucide-react';
import { useId, useMemo, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import type { SnapshotCreateRequest, SnapshotCreateResult, SnapshotList, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { useOperations } from '../../resources/operation/queries';
import { isActive } from '../../resources/vm/model';
import { describeProgress } from '../operations/operations';
import { DESCRIPTION_MAX, descriptionBytes, NAME_RULE, suggestName } from './model';
import { Reasons } from './parts';
import { runOperation } from './runOperation';
import { startCreateSnapshot } from '../../resources/snapshot/mutations';
import { createSnapshotSchema, type CreateSnapshotValues } from './schemas';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field, InfoTip } from '../../ui';

type Kind = 'memory' | 'disk-only';

export interface CreateSnapshotDialogProps {
  vm: VM;
  list: SnapshotList | undefined;
  /** Another snapshot operation runs on the VM (this dialog's own included). */
  busy?: boolean;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The snapshot was taken. */
  onCreated: (name: string) => void;
}

export function CreateSnapshotDialog(props: CreateSnapshotDialogProps) {
  // The form's state lives in the body, mounted while open: every opening starts afresh.
  return (
    <Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      wide
      className="snap-dialog"
      noDescription
      onOpenAutoFocus={(e) => {
            // Focus the name with the suggestion selected, so that typing replaces it.
            const input = (e.currentTarget as HTMLElement | null)?.querySelector<HTMLInputElement>('input[name="name"]');
            if (!input) return;
            e.preventDefault();
            input.focus();
            input.select();
      }}
    >
      {props.open && <CreateForm {...props} />}
    </Dialog>
  );
}

/** What the request should say for the choices made. */
export function createRequest(name: string, description: string, kind: Kind, quiesce: boolean, vmActive: boolean): SnapshotCreateRequest {
  const req: SnapshotCreateRequest = { name, memory: kind === 'memory' };
  if (description.trim() !== '') req.description = description;
  // Quiescing applies to disk-only snapshots of a running VM only.
  if (kind === 'disk-only' && vmActive) req.quiesce = quiesce;
  return req;
}

function CreateForm({ vm, list, busy = false, onOpenChange, onCreated }: CreateSnapshotDialogProps) {
  const qc = useQueryClient();
  const id = useId();
  const existing = useMemo(() => new Set((list?.snapshots ?? []).map((s) => s.name)), [list]);
  const caps = list?.capabilities;
  const schema = useMemo(() => createSnapshotSchema(existing), [existing]);
  const form = useForm<CreateSnapshotValues>({
    resolver: zodResolver(schema),
    mode: 'onChange',
    defaultValues: {
      name: suggestName(existing),
      description: '',
      kind: !caps ? 'memory' : caps[caps.default].possible ? caps.default : caps.memory.possible ? 'memory' : 'disk-only',
      quiesce: caps?.quiesce.possible ?? false,
    },
  });
  const { register, control, setValue, formState } = form;
  const [description, kind, quiesce] = useWatch({ control, name: ['description', 'kind', 'quiesce'] });
  const [opId, setOpId] = useState<string | null>(null);

  const vmActive = caps ? caps.default === 'memory' : isActive(vm.state);

  const bytes = descriptionBytes(description);
  const kindCap = caps ? caps[kind] : undefined;
  const quiesceOn = kind === 'disk-only' && vmActive && quiesce && (caps?.quiesce.possible ?? false);

  const create = useMutation({
    mutationFn: (req: SnapshotCreateRequest) =>
      runOperation<SnapshotCreateResult>(
        qc,
        () => startCreateSnapshot(vm, req),
        (op) => setOpId(op.id),
      ),
    onSuccess: (res) => {
      onCreated(res.snapshot.name);
      onOpenChange(false);
    },
  });
  const op = useOperations((ops) => (opId ? ops.find((o) => o.id === opId) : undefined)).data;
  // While it is being taken the name is, of course, taken: say nothing then.
  const problem = create.isPending || create.isSuccess ? null : (formState.errors.name?.message ?? null);
  const running = create.isPending;
  const error = create.error;

  const current = list?.current;
  const count = list?.count ?? vm.snapshotCount;
  const placement =
    current !== undefined
      ? `It will be created as a child of “${current}”, the current snapshot.`
      : count === 0
        ? 'It will be the first snapshot of this VM.'
        : 'It will be a new root of the tree: the VM has no current snapshot.';

  // Busy with another operation (not this dialog's own): the server would refuse.
  const blocked = busy && !running && !create.isSuccess;
  // The schema checks the name and description first (the server's own
  // rules): a name it refuses is not sent, and the field says what to do.
  const submit = form.handleSubmit((v) => {
    if (running || blocked || !kindCap?.possible) return;
    create.mutate(createRequest(v.name, v.description, kind, quiesceOn, vmActive));
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <DialogHead>Take a snapshot of “{vm.name}”</DialogHead>

      <Field
        label="Name"
        className="snap-field"
        error={problem}
        note={problem ? undefined : running ? '' : 'This name can be used.'}
        hint={`Names: ${NAME_RULE}`}
      >
        <input type="text" maxLength={200} autoComplete="off" spellCheck={false} disabled={running} {...register('name')} />
      </Field>

      <Field
        label="Description"
        optional
        className="snap-field"
        error={formState.errors.description?.message}
        hint={`${bytes} / ${DESCRIPTION_MAX} bytes`}
      >
        <textarea rows={3} disabled={running} placeholder="What state is the VM in, and why keep it?" {...register('description')} />
      </Field>

      {caps ? (
        <fieldset className="snap-group" disabled={running}>
          <legend>Contents</legend>
          <div className="check-row">
            <input
              id={`${id}-mem`}
              type="radio"
              name="kind"
              checked={kind === 'memory'}
              disabled={!caps.memory.possible}
              onChange={() => setValue('kind', 'memory')}
            />
            <label htmlFor={`${id}-mem`}>
              <span>Memory and disks</span>
              <span className="muted small">Resumes exactly where it was.</span>
              {!caps.memory.possible && <Reasons cap={caps.memory} />}
            </label>
            <InfoTip topic="memory and disks">Reverting to it resumes the VM exactly where it was. The VM is paused while its memory is saved.</InfoTip>
          </div>
          <div className="check-row">
            <input
              id={`${id}-disk`}
              type="radio"
              name="kind"
              checked={kind === 'disk-only'}
              disabled={!caps['disk-only'].possible}
              onChange={() => setValue('kind', 'disk-only')}
            />
            <label htmlFor={`${id}-disk`}>
              <span>Disks only{caps['disk-only'].location ? ` (${caps['disk-only'].location})` : ''}</span>
              <span className="muted small">{vmActive ? 'The VM keeps running.' : 'The disks as they are now.'}</span>
              {!caps['disk-only'].possible && <Reasons cap={caps['disk-only']} />}
            </label>
            <InfoTip topic="disks only">
              {vmActive
                ? 'The VM keeps running while its disks are saved; reverting to it starts the VM from its disks, as after a power cut.'
                : 'The disks as they are now; the VM is not running, so there is no memory to save.'}
            </InfoTip>
          </div>
          {vmActive && (
            <div className="check-row">
              <input
                id={`${id}-quiesce`}
                type="checkbox"
                checked={quiesceOn}
                disabled={kind !== 'disk-only' || !caps.quiesce.possible}
                onChange={(e) => setValue('quiesce', e.target.checked)}
              />
              <label htmlFor={`${id}-quiesce`}>
                <span>Quiesce file systems (QEMU guest agent)</span>
                {kind === 'memory' ? (
                  <span className="muted small">Not needed with memory.</span>
                ) : (
                  <>
                    <span className="muted small">The guest’s files are consistent.</span>
                    {!caps.quiesce.possible && <Reasons cap={caps.quiesce} />}
                  </>
                )}
              </label>
              <InfoTip topic="quiescing">
                The guest flushes and freezes its file systems while the disks are saved (this needs the QEMU guest agent). A snapshot with memory does
                not need it: it saves memory and disks together while the VM is paused.
              </InfoTip>
            </div>
          )}
          {kindCap && (kindCap.notes ?? []).length > 0 && (
            <ul className="snap-notes small muted">
              {(kindCap.notes ?? []).map((n) => (
                <li key={n} className="sentence">
                  {n}.
                </li>
              ))}
            </ul>
          )}
        </fieldset>
      ) : (
        <p className="muted" role="status">
          Checking what this VM can take…
        </p>
      )}

      <p className="snap-placement">
        {placement}
        {list?.screenshots && vmActive ? ' A screenshot of the console is stored with it.' : ''}
      </p>

      {blocked && (
        <p className="snap-progress" role="status">
          <LoaderCircle size={16} className="spin" aria-hidden />
          Another snapshot operation is running on this VM: a new one can be taken when it ends.
        </p>
      )}
      {running && (
        <p className="snap-progress" role="status">
          <LoaderCircle size={16} className="spin" aria-hidden />
          {op ? `Taking the snapshot… ${describeProgress(op)}` : 'Starting…'}
        </p>
      )}
      {error && !running && <ErrorNote error={error} title="The snapshot was not taken" />}

      <DialogActions>
        <DialogClose>{running ? 'Close (it goes on)' : 'Cancel'}</DialogClose>
        <Button type="submit" variant="primary" disabled={running || blocked || !kindCap?.possible} aria-busy={running || undefined}>
          {running ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Camera size={16} aria-hidden />}
          {running ? 'Creating…' : 'Create snapshot'}
        </Button>
      </DialogActions>
    </form>
  );
}
