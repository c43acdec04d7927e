// Taking a snapshot: name (checked as you type, with the server's rule),
// description, what it holds (memory and disks, or disks only) and
// quiescing as the pre-flight allows, where it goes in the tree, and the
// operation's progress until it is done.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Dialog } from 'radix-ui';
import { Camera, LoaderCircle, X } from 'lucide-react';
import { useId, useMemo, useState } from 'react';
import type { SnapshotCreateRequest, SnapshotCreateResult, SnapshotList, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { useOperations } from '../../resources/operation/queries';
import { isActive } from '../../resources/vm/model';
import { describeProgress } from '../operations/operations';
import { DESCRIPTION_MAX, descriptionBytes, NAME_RULE, nameProblem, suggestName } from './model';
import { Reasons } from './parts';
import { runOperation } from './runOperation';
import { startCreateSnapshot } from '../../resources/snapshot/mutations';

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
    <Dialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content
          className="dialog dialog-wide snap-dialog"
          aria-describedby={undefined}
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
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
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
  const [name, setName] = useState(() => suggestName(existing));
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<Kind>(() => {
    if (!caps) return 'memory';
    if (caps[caps.default].possible) return caps.default;
    return caps.memory.possible ? 'memory' : 'disk-only';
  });
  const [quiesce, setQuiesce] = useState(() => caps?.quiesce.possible ?? false);
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
  const problem = create.isPending || create.isSuccess ? null : nameProblem(name, existing);
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
  const submit = () => {
    if (running || blocked || !kindCap?.possible) return;
    // A name that breaks the rule is still sent: the server has the last word, and says why.
    create.mutate(createRequest(name, description, kind, quiesceOn, vmActive));
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="dialog-head">
        <Dialog.Title className="dialog-title">Take a snapshot of “{vm.name}”</Dialog.Title>
        <Dialog.Close className="icon-btn" aria-label="Close">
          <X size={16} aria-hidden />
        </Dialog.Close>
      </div>

      <div className="snap-field">
        <label htmlFor={`${id}-name`} className="field-label">
          Name
        </label>
        <input
          id={`${id}-name`}
          type="text"
          value={name}
          maxLength={200}
          autoComplete="off"
          spellCheck={false}
          disabled={running}
          aria-invalid={problem !== null}
          aria-describedby={`${id}-name-problem ${id}-name-rule`}
          name="name"
          onChange={(e) => setName(e.target.value)}
        />
        <p id={`${id}-name-problem`} className={`small ${problem ? 'text-bad' : 'text-ok'}`} aria-live="polite">
          {problem ?? (running ? '' : 'This name can be used.')}
        </p>
        <p id={`${id}-name-rule`} className="muted small">
          Names: {NAME_RULE}
        </p>
      </div>

      <div className="snap-field">
        <label htmlFor={`${id}-desc`} className="field-label">
          Description <span className="muted">(optional)</span>
        </label>
        <textarea
          id={`${id}-desc`}
          rows={3}
          value={description}
          disabled={running}
          aria-describedby={`${id}-desc-count`}
          aria-invalid={bytes > DESCRIPTION_MAX}
          onChange={(e) => setDescription(e.target.value)}
          placeholder="What state is the VM in, and why keep it?"
        />
        <p id={`${id}-desc-count`} className={`small ${bytes > DESCRIPTION_MAX ? 'text-bad' : 'muted'}`}>
          {bytes} / {DESCRIPTION_MAX} bytes
        </p>
      </div>

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
              onChange={() => setKind('memory')}
            />
            <label htmlFor={`${id}-mem`}>
              <span>Memory and disks</span>
              <span className="muted small">Reverting to it resumes the VM exactly where it was. The VM is paused while its memory is saved.</span>
              {!caps.memory.possible && <Reasons cap={caps.memory} />}
            </label>
          </div>
          <div className="check-row">
            <input
              id={`${id}-disk`}
              type="radio"
              name="kind"
              checked={kind === 'disk-only'}
              disabled={!caps['disk-only'].possible}
              onChange={() => setKind('disk-only')}
            />
            <label htmlFor={`${id}-disk`}>
              <span>Disks only{caps['disk-only'].location ? ` (${caps['disk-only'].location})` : ''}</span>
              <span className="muted small">
                {vmActive
                  ? 'The VM keeps running; reverting to it starts the VM from its disks, as after a power cut.'
                  : 'The disks as they are now; the VM is not running, so there is no memory to save.'}
              </span>
              {!caps['disk-only'].possible && <Reasons cap={caps['disk-only']} />}
            </label>
          </div>
          {vmActive && (
            <div className="check-row">
              <input
                id={`${id}-quiesce`}
                type="checkbox"
                checked={quiesceOn}
                disabled={kind !== 'disk-only' || !caps.quiesce.possible}
                onChange={(e) => setQuiesce(e.target.checked)}
              />
              <label htmlFor={`${id}-quiesce`}>
                <span>Quiesce file systems (QEMU guest agent)</span>
                {kind === 'memory' ? (
                  <span className="muted small">Not needed: a snapshot with memory saves memory and disks together while the VM is paused.</span>
                ) : (
                  <>
                    <span className="muted small">The guest flushes and freezes its file systems while the disks are saved.</span>
                    {!caps.quiesce.possible && <Reasons cap={caps.quiesce} />}
                  </>
                )}
              </label>
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

      <div className="dialog-actions">
        <Dialog.Close className="btn" type="button">
          {running ? 'Close (it goes on)' : 'Cancel'}
        </Dialog.Close>
        <button type="submit" className="btn btn-primary" disabled={running || blocked || !kindCap?.possible} aria-busy={running || undefined}>
          {running ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Camera size={16} aria-hidden />}
          {running ? 'Creating…' : 'Create snapshot'}
        </button>
      </div>
    </form>
  );
}
