// The Storage page's dialogs: new pool, new volume, upload (with progress
// and cancel), resize and clone. Each checks what it can before sending
// and shows the server's message and hint when the server refuses.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Dialog } from 'radix-ui';
import { X } from 'lucide-react';
import { useId, useRef, useState, type SyntheticEvent, type ReactNode } from 'react';
import { toast } from 'sonner';
import { api } from '../../api/client';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes } from '../../lib/format';
import { runOperation } from '../snapshots/runOperation';
import { invalidateStorage, poolsPath, sizeProblem, startClone, uploadVolume, volumePath, volumesPath, type Pool, type Upload, type Volume } from './storageApi';

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
    <Dialog.Root open={p.open} onOpenChange={(o) => (o || !p.pending ? p.onOpenChange(o) : p.onCancel?.())}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog storage-dialog" aria-describedby={undefined}>
          <form onSubmit={submit}>
            <div className="dialog-head">
              <Dialog.Title className="dialog-title">{p.title}</Dialog.Title>
              <Dialog.Close className="icon-btn" aria-label="Close" type="button">
                <X size={16} aria-hidden />
              </Dialog.Close>
            </div>
            {p.children}
            {p.error ? <ErrorNote error={p.error} /> : null}
            <div className="dialog-actions">
              {p.pending && p.onCancel ? (
                <button type="button" className="btn" onClick={p.onCancel}>
                  Cancel upload
                </button>
              ) : (
                <Dialog.Close className="btn" type="button">
                  Cancel
                </Dialog.Close>
              )}
              <button type="submit" className="btn btn-primary" disabled={!p.canSubmit || p.pending}>
                {p.submitLabel}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function Field({ id, label, children, note }: { id: string; label: string; children: ReactNode; note?: ReactNode }) {
  return (
    <div className="storage-field">
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {children}
      {note ? <p className="muted small">{note}</p> : null}
    </div>
  );
}

interface Base {
  host: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

export function CreatePoolDialog({ host, open, onOpenChange }: Base) {
  const qc = useQueryClient();
  const id = useId();
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const m = useMutation({
    mutationFn: () => api<Pool>(poolsPath(host), { method: 'POST', body: { name: name.trim(), path: path.trim() } }),
    onSuccess: async (p) => {
      await invalidateStorage(qc, host);
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
      onSubmit={() => m.mutate()}
    >
      <Field id={`${id}-name`} label="Name" note="Letters, digits, . _ + -">
        <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </Field>
      <Field id={`${id}-path`} label="Directory on the host" note="An absolute path; it is made when missing.">
        <input id={`${id}-path`} type="text" value={path} onChange={(e) => setPath(e.target.value)} autoComplete="off" placeholder="/srv/images" />
      </Field>
    </FormDialog>
  );
}

export function CreateVolumeDialog({ host, pool, open, onOpenChange }: Base & { pool: Pool }) {
  const qc = useQueryClient();
  const id = useId();
  const [name, setName] = useState('');
  const [format, setFormat] = useState<'qcow2' | 'raw'>('qcow2');
  const [size, setSize] = useState('20GiB');
  const problem = sizeProblem(size);
  const m = useMutation({
    mutationFn: () => api<Volume>(volumesPath(host, pool.name), { method: 'POST', body: { name: name.trim(), format, size: size.trim() } }),
    onSuccess: async (v) => {
      await invalidateStorage(qc, host);
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
      onSubmit={() => m.mutate()}
    >
      <Field id={`${id}-name`} label="Name">
        <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" placeholder="disk.qcow2" />
      </Field>
      <Field id={`${id}-format`} label="Format" note="qcow2 grows as the guest writes; raw is allocated as written too, and is a little faster.">
        <select id={`${id}-format`} value={format} onChange={(e) => setFormat(e.target.value as 'qcow2' | 'raw')}>
          <option value="qcow2">qcow2</option>
          <option value="raw">raw</option>
        </select>
      </Field>
      <Field id={`${id}-size`} label="Size" note={problem ?? `${formatBytes(pool.availableBytes)} free in the pool.`}>
        <input id={`${id}-size`} type="text" value={size} onChange={(e) => setSize(e.target.value)} autoComplete="off" aria-invalid={problem !== null} />
      </Field>
    </FormDialog>
  );
}

export function UploadDialog({ host, pool, open, onOpenChange }: Base & { pool: Pool }) {
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
      <Field id={`${id}-file`} label="File" note={tooBig ? `Too large: the pool has ${formatBytes(pool.availableBytes)} free.` : 'An ISO image or a disk image.'}>
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
      <Field id={`${id}-name`} label="Volume name">
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
  const qc = useQueryClient();
  const id = useId();
  const [size, setSize] = useState('');
  const problem = size === '' ? null : sizeProblem(size);
  const m = useMutation({
    mutationFn: () =>
      api<{ volume: Volume; online?: { name: string; disk: string } }>(`${volumePath(host, volume.pool, volume.name)}/resize`, {
        method: 'POST',
        body: { size: size.trim() },
      }),
    onSuccess: async (res) => {
      await invalidateStorage(qc, host);
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
      onSubmit={() => m.mutate()}
    >
      <Field
        id={`${id}-size`}
        label="New size"
        note={problem ?? `Now ${formatBytes(volume.capacityBytes)}. Volumes only grow; grow the file system inside the guest afterwards.`}
      >
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
      <Field id={`${id}-name`} label="Name of the copy" note={`A copy of ${formatBytes(volume.allocationBytes)} in the same pool.`}>
        <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </Field>
    </FormDialog>
  );
}
