// Changing a snapshot's description (the only thing about a snapshot that
// can change; which snapshot is current stays as it is).

import { zodResolver } from '@hookform/resolvers/zod';
import { LoaderCircle } from 'lucide-react';
import { useForm, useWatch } from 'react-hook-form';
import { toast } from 'sonner';
import type { Snapshot, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field } from '../../ui';
import { DESCRIPTION_MAX, descriptionBytes } from './model';
import { useEditSnapshotDescription } from '../../resources/snapshot/mutations';
import { editDescriptionSchema, type EditDescriptionValues } from './schemas';

export interface EditDescriptionDialogProps {
  vm: VM;
  snapshot: Snapshot | undefined;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

export function EditDescriptionDialog(props: EditDescriptionDialogProps) {
  return (
    <Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      className="snap-dialog"
      noDescription
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
    </Dialog>
  );
}

function EditForm({ vm, snapshot, onOpenChange }: EditDescriptionDialogProps & { snapshot: Snapshot }) {
  const { register, handleSubmit, control, formState } = useForm<EditDescriptionValues>({
    resolver: zodResolver(editDescriptionSchema),
    mode: 'onChange',
    defaultValues: { description: snapshot.description },
  });
  const text = useWatch({ control, name: 'description' });
  const bytes = descriptionBytes(text);
  const save = useEditSnapshotDescription(vm, snapshot.name, {
    onSuccess: () => {
      toast.success(`Description of “${snapshot.name}” saved`);
      onOpenChange(false);
    },
  });
  const submit = handleSubmit((v) => save.mutate(v.description));
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <DialogHead>Description of “{snapshot.name}”</DialogHead>
      <Field label="Description" className="snap-field" error={formState.errors.description?.message} hint={`${bytes} / ${DESCRIPTION_MAX} bytes`}>
        <textarea rows={5} disabled={save.isPending} {...register('description')} />
      </Field>
      {save.error && <ErrorNote error={save.error} title="The description was not saved" />}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={save.isPending || text === snapshot.description}>
          {save.isPending && <LoaderCircle size={16} className="spin" aria-hidden />}
          Save
        </Button>
      </DialogActions>
    </form>
  );
}
