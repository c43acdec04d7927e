// The Storage page's "Import VM" dialog: uploads an export file into a
// pool with progress and cancel. The server checks every part's checksum
// before it defines anything, so a damaged file leaves nothing behind.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type SyntheticEvent } from 'react';
import { toast } from 'sonner';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes, plural } from '../../lib/format';
import { qk } from '../../resources/keys';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field } from '../../ui';
import { importVM, type Import } from './transfer';

interface Props {
  host: string;
  pool: { name: string; availableBytes: number };
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

export function ImportDialog({ host, pool, open, onOpenChange }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [sent, setSent] = useState(0);
  const running = useRef<Import | null>(null);
  const m = useMutation({
    mutationFn: (f: File) => {
      setSent(0);
      running.current = importVM(host, pool.name, name.trim(), f, (n) => setSent(n));
      return running.current.done;
    },
    onSuccess: async (res) => {
      await Promise.all([qc.invalidateQueries({ queryKey: qk.vms }), qc.invalidateQueries({ queryKey: qk.pools(host) })]);
      toast.success(`Imported “${res.name}”`, { description: `${plural(res.snapshots, 'snapshot')}${res.current ? `, current “${res.current}”` : ''}; from “${res.from.name}”.` });
      onOpenChange(false);
    },
    onError: (err) => {
      if (err instanceof DOMException && err.name === 'AbortError') toast('Import canceled; nothing was kept');
    },
    onSettled: () => {
      running.current = null;
    },
  });
  const total = file?.size ?? 0;
  const pct = total > 0 ? Math.min(100, Math.round((sent / total) * 100)) : 0;
  const tooBig = file !== null && file.size > pool.availableBytes;
  const error = m.error instanceof DOMException && m.error.name === 'AbortError' ? null : m.error;
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    if (file !== null && !tooBig && !m.isPending) m.mutate(file);
  };
  return (
    <Dialog open={open} onOpenChange={(o) => (o || !m.isPending ? onOpenChange(o) : running.current?.cancel())} className="storage-dialog" noDescription>
      <form onSubmit={submit}>
        <DialogHead>{`Import a VM into “${pool.name}”`}</DialogHead>
        <Field label="Export file" error={tooBig ? `Too large: the pool has ${formatBytes(pool.availableBytes)} free.` : null} hint="A .kvmexport.tar file from a VM’s Export button (any host).">
          <input id={`${id}-file`} type="file" accept=".tar,application/x-tar" disabled={m.isPending} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </Field>
        <Field label="New name (optional)" hint="Empty keeps the exported name and UUID. A new name gives the copy a new UUID and new MAC addresses, so that it can live beside the original.">
          <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" disabled={m.isPending} />
        </Field>
        {m.isPending && (
          <div className="storage-upload">
            <progress id={`${id}-progress`} max={100} value={pct} aria-label="Import progress" />
            <p className="small" role="status" aria-live="polite">
              {pct} % · {formatBytes(sent)} of {formatBytes(total)}
              {pct === 100 ? ' · checking and defining…' : ''}
            </p>
          </div>
        )}
        {error ? <ErrorNote error={error} /> : null}
        <DialogActions>
          {m.isPending ? <Button onClick={() => running.current?.cancel()}>Cancel import</Button> : <DialogClose>Cancel</DialogClose>}
          <Button type="submit" variant="primary" disabled={file === null || tooBig || m.isPending}>
            {m.isPending ? 'Importing…' : 'Import'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
