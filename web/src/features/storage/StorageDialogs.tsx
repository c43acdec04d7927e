// The Storage page's dialogs: new pool, new volume, upload (with progress
// and cancel), resize and clone. Each checks what it can before sending
// and shows the server's message and hint when the server refuses.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type SyntheticEvent, type ReactNode } from 'react';
import { toast } from 'sonner';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes } from '../../lib/format';
import { useCreatePool, useCreateVolume, useResizeVolume } from '../../resources/storage/mutations';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field } from '../../ui';
import { runOperation } from '../snapshots/runOperation';
import { invalidateStorage, sizeProblem, startClone, uploadVolume, type Pool, type Upload, type Volume } from './storageApi';

interface FormDialogProps {
  title: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  canSubmit: boolean;
  onSubmit: () => void;
  children: ReactNode;
  /** Shown instead of the Cancel button's plain close (an upload cancels its request). */
  onCancel?: () => void;
}

function FormDialog(p: FormDialogProps) {
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    if (p.canSubmit && !p.pending) p.onSubmit();
  };
  return (
    <Dialog open={p.open} onOpenChange={(o) => (o || !p.pending ? p.onOpenChange(o) : p.onCancel?.())} className="storage-dialog" noDescription>
      <form onSubmit={submit}>
        <DialogHead>{p.title}</DialogHead>
        {p.children}
        {p.error ? <ErrorNote error={p.error} /> : null}
        <DialogActions>
          {p.pending && p.onCancel ? <Button onClick={p.onCancel}>Cancel upload</Button> : <DialogClose>Cancel</DialogClose>}
          <Button type="submit" variant="primary" disabled={!p.canSubmit || p.pending}>
            {p.submitLabel}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

interface Base {
  host: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

export function CreatePoolDialog({ host, open, onOpenChange }: Base) {
  const id = useId();
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const m = useCreatePool(host, {
    onSuccess: (p) => {
      toast.success(`Pool “${p.name}” created and started`);
      onOpenChange(false);
    },
  });
  return (
    <FormDialog
      title="New directory pool"
      open={open}
      onOpenChange={onOpenChange}
      submitLabel="Create pool"
      pending={m.isPending}
      error={m.error}
      canSubmit={name.trim() !== '' && path.trim().startsWith('/')}
      onSubmit={() => m.mutate({ name: name.trim(), path: path.trim() })}
    >
      <Field label="Name" hint="Letters, digits, . _ + -">
        <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </Field>
      <Field label="Directory on the host" hint="An absolute path; it is made when missing.">
        <input id={`${id}-path`} type="text" value={path} onChange={(e) => setPath(e.target.value)} autoComplete="off" placeholder="/srv/images" />
      </Field>
    </FormDialog>
  );
}

export function CreateVolumeDialog({ host, pool, open, onOpenChange }: Base & { pool: Pool }) {
  const id = useId();
  const [name, setName] = useState('');
  const [format, setFormat] = useState<'qcow2' | 'raw'>('qcow2');
  const [size, setSize] = useState('20GiB');
  const problem = sizeProblem(size);
  const m = useCreateVolume(host, pool.name, {
    onSuccess: (v) => {
      toast.success(`Volume “${v.name}” created`);
      onOpenChange(false);
    },
  });
  return (
    <FormDialog
      title={`New volume in “${pool.name}”`}
      open={open}
      onOpenChange={onOpenChange}
      submitLabel="Create volume"
      pending={m.isPending}
      error={m.error}
      canSubmit={name.trim() !== '' && problem === null}
      onSubmit={() => m.mutate({ name: name.trim(), format, size: size.trim() })}
    >
      <Field label="Name">
        <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" placeholder="disk.qcow2" />
      </Field>
      <Field label="Format" hint="qcow2 grows as the guest writes; raw is allocated as written too, and is a little faster.">
        <select id={`${id}-format`} value={format} onChange={(e) => setFormat(e.target.value as 'qcow2' | 'raw')}>
          <option value="qcow2">qcow2</option>
          <option value="raw">raw</option>
        </select>
      </Field>
      <Field label="Size" error={problem} hint={`${formatBytes(pool.availableBytes)} free in the pool.`}>
        <input id={`${id}-size`} type="text" value={size} onChange={(e) => setSize(e.target.value)} autoComplete="off" aria-invalid={problem !== null} />
      </Field>
    </FormDialog>
  );
}

export function UploadDialog({ host, pool, open, onOpenChange, onUploaded }: Base & { pool: Pool; onUploaded?: (volume: string) => void }) {
  const qc = useQueryClient();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [sent, setSent] = useState(0);
  const upload = useRef<Upload | null>(null);
  const m = useMutation({
    mutationFn: (f: File) => {
      setSent(0);
      upload.current = uploadVolume(host, pool.name, name.trim(), f, (n) => setSent(n));
      return upload.current.done;
    },
    onSuccess: async (res) => {
      await invalidateStorage(qc, host);
      toast.success(`Uploaded “${res.volume.name}” (${formatBytes(res.bytes)})`, { description: `SHA-256 ${res.sha256}` });
      onOpenChange(false);
      onUploaded?.(res.volume.name);
    },
    onError: (err) => {
      if (err instanceof DOMException && err.name === 'AbortError') toast('Upload canceled; nothing was kept');
    },
    onSettled: () => {
      upload.current = null;
    },
  });
  const total = file?.size ?? 0;
  const pct = total > 0 ? Math.min(100, Math.round((sent / total) * 100)) : 0;
  const tooBig = file !== null && file.size > pool.availableBytes;
  const error = m.error instanceof DOMException && m.error.name === 'AbortError' ? null : m.error;
  return (
    <FormDialog
      title={`Upload to “${pool.name}”`}
      open={open}
      onOpenChange={onOpenChange}
      submitLabel={m.isPending ? 'Uploading…' : 'Upload'}
      pending={m.isPending}
      error={error}
      canSubmit={file !== null && name.trim() !== '' && !tooBig}
      onSubmit={() => file && m.mutate(file)}
      onCancel={() => upload.current?.cancel()}
    >
      <Field label="File" error={tooBig ? `Too large: the pool has ${formatBytes(pool.availableBytes)} free.` : null} hint="An ISO image or a disk image.">
        <input
          id={`${id}-file`}
          type="file"
          disabled={m.isPending}
          onChange={(e) => {
            const f = e.target.files?.[0] ?? null;
            setFile(f);
            if (f && name === '') setName(f.name);
          }}
        />
      </Field>
      <Field label="Volume name">
        <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" disabled={m.isPending} />
      </Field>
      {m.isPending && (
        <div className="storage-upload">
          <progress id={`${id}-progress`} max={100} value={pct} aria-label="Upload progress" />
          <p className="small" role="status" aria-live="polite">
            {pct} % · {formatBytes(sent)} of {formatBytes(total)}
          </p>
        </div>
      )}
    </FormDialog>
  );
}

export function ResizeDialog({ host, volume, open, onOpenChange }: Base & { volume: Volume }) {
  const id = useId();
  const [size, setSize] = useState('');
  const problem = size === '' ? null : sizeProblem(size);
  const m = useResizeVolume({ host, pool: volume.pool, name: volume.name }, {
    onSuccess: (res) => {
      toast.success(
        `“${res.volume.name}” is now ${formatBytes(res.volume.capacityBytes)}`,
        res.online ? { description: `Grown through the running VM “${res.online.name}” (${res.online.disk}): the guest sees it now.` } : undefined,
      );
      onOpenChange(false);
    },
  });
  return (
    <FormDialog
      title={`Resize “${volume.name}”`}
      open={open}
      onOpenChange={onOpenChange}
      submitLabel="Resize"
      pending={m.isPending}
      error={m.error}
      canSubmit={size !== '' && problem === null}
      onSubmit={() => m.mutate(size.trim())}
    >
      <Field label="New size" error={problem} hint={`Now ${formatBytes(volume.capacityBytes)}. Volumes only grow; grow the file system inside the guest afterwards.`}>
        <input id={`${id}-size`} type="text" value={size} onChange={(e) => setSize(e.target.value)} autoComplete="off" placeholder="40GiB" />
      </Field>
    </FormDialog>
  );
}

export function CloneDialog({ host, volume, open, onOpenChange }: Base & { volume: Volume }) {
  const qc = useQueryClient();
  const id = useId();
  const [name, setName] = useState(`copy-of-${volume.name}`);
  const m = useMutation({
    mutationFn: () => runOperation<Volume>(qc, () => startClone(host, volume.pool, volume.name, name.trim())),
    onSuccess: async (v) => {
      await invalidateStorage(qc, host);
      toast.success(`Cloned into “${v.name}”`);
      onOpenChange(false);
    },
  });
  return (
    <FormDialog
      title={`Clone “${volume.name}”`}
      open={open}
      onOpenChange={onOpenChange}
      submitLabel={m.isPending ? 'Copying…' : 'Clone'}
      pending={m.isPending}
      error={m.error}
      canSubmit={name.trim() !== ''}
      onSubmit={() => m.mutate()}
    >
      <Field label="Name of the copy" hint={`A copy of ${formatBytes(volume.allocationBytes)} in the same pool.`}>
        <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </Field>
    </FormDialog>
  );
}
