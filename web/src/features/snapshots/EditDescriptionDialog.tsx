// Changing a snapshot's description (the only thing about a snapshot that
// can change; which snapshot is current stays as it is).

import { Dialog } from 'radix-ui';
import { LoaderCircle, X } from 'lucide-react';
import { useId, useState } from 'react';
import { toast } from 'sonner';
import type { Snapshot, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { DESCRIPTION_MAX, descriptionBytes } from './model';
import { useEditSnapshotDescription } from '../../resources/snapshot/mutations';

export interface EditDescriptionDialogProps {
  vm: VM;
  snapshot: Snapshot | undefined;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

export function EditDescriptionDialog(props: EditDescriptionDialogProps) {
  return (
    <Dialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content
          className="dialog snap-dialog"
          aria-describedby={undefined}
          // The text box, not the Close button, takes the focus: the dialog is there to type; the caret goes after the text.
          onOpenAutoFocus={(e) => {
            const box = (e.currentTarget as HTMLElement | null)?.querySelector('textarea');
            if (!box) return;
            e.preventDefault();
            box.focus();
            box.setSelectionRange(box.value.length, box.value.length);
          }}
        >
          {props.open && props.snapshot && <EditForm {...props} snapshot={props.snapshot} />}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function EditForm({ vm, snapshot, onOpenChange }: EditDescriptionDialogProps & { snapshot: Snapshot }) {
  const id = useId();
  const [text, setText] = useState(snapshot.description);
  const bytes = descriptionBytes(text);
  const save = useEditSnapshotDescription(vm, snapshot.name, {
    onSuccess: () => {
      toast.success(`Description of “${snapshot.name}” saved`);
      onOpenChange(false);
    },
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(text);
      }}
    >
      <div className="dialog-head">
        <Dialog.Title className="dialog-title">Description of “{snapshot.name}”</Dialog.Title>
        <Dialog.Close className="icon-btn" aria-label="Close">
          <X size={16} aria-hidden />
        </Dialog.Close>
      </div>
      <div className="snap-field">
        <label htmlFor={`${id}-desc`} className="field-label">
          Description
        </label>
        <textarea
          id={`${id}-desc`}
          rows={5}
          value={text}
          disabled={save.isPending}
          aria-describedby={`${id}-count`}
          aria-invalid={bytes > DESCRIPTION_MAX}
          onChange={(e) => setText(e.target.value)}
        />
        <p id={`${id}-count`} className={`small ${bytes > DESCRIPTION_MAX ? 'text-bad' : 'muted'}`}>
          {bytes} / {DESCRIPTION_MAX} bytes
        </p>
      </div>
      {save.error && <ErrorNote error={save.error} title="The description was not saved" />}
      <div className="dialog-actions">
        <Dialog.Close className="btn" type="button">
          Cancel
        </Dialog.Close>
        <button type="submit" className="btn btn-primary" disabled={save.isPending || text === snapshot.description}>
          {save.isPending && <LoaderCircle size={16} className="spin" aria-hidden />}
          Save
        </button>
      </div>
    </form>
  );
}
