// "Export disk…" of a snapshot: one disk as it was at that snapshot, as a
// standalone image (no snapshots, no backing file), downloaded or written
// as a new volume into a pool. The server makes the image with qemu-img
// (the pool's room measured first); into a pool it is an operation
// followed in a toast with its cancel button, a download is the browser's
// own (it starts once the image is made).

import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useId, useState, type SyntheticEvent } from 'react';
import { toast } from 'sonner';
import type { VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes } from '../../lib/format';
import { qk } from '../../resources/keys';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field } from '../../ui';
import { runOperation } from '../snapshots/runOperation';
import { DestinationFields, volumeNameError, type DestinationState } from './DestinationFields';
import { diskFileName, exportDiskToPool, startDiskDownload, type DiskExport } from './transfer';

interface Props {
  vm: VM;
  snapshot: string;
  /** The VM's disk targets (vda, …); the first is the default. */
  disks: string[];
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

interface DiskResult {
  pool?: string;
  volume?: string;
  bytes: number;
  location: string;
}

export function ExportDiskDialog({ vm, snapshot, disks, open, onOpenChange }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const [opts, setOpts] = useState<DiskExport>({ disk: disks[0] ?? '', format: 'qcow2' });
  const [dest, setDest] = useState<DestinationState>({ kind: 'download', pool: '', volume: diskFileName(vm.name, snapshot, disks[0] ?? '', 'qcow2') });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const onDest = useCallback((d: DestinationState) => setDest(d), []);
  const change = (o: DiskExport) => {
    setOpts(o);
    setDest((d) => ({ ...d, volume: diskFileName(vm.name, snapshot, o.disk, o.format) }));
  };
  const bad = dest.kind === 'pool' && (dest.pool === '' || volumeNameError(dest.volume) !== null);
  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (bad || busy) return;
    setError(null);
    if (dest.kind === 'download') {
      startDiskDownload(vm.host, vm.uuid, vm.name, snapshot, opts);
      toast('Disk export started', { description: `The server makes the image of ${opts.disk || 'the first disk'} as it was at “${snapshot}”, then the browser saves it.` });
      onOpenChange(false);
      return;
    }
    setBusy(true);
    try {
      const started = runOperation<DiskResult>(qc, () => exportDiskToPool(vm.host, vm.uuid, snapshot, opts, dest.pool, dest.volume), () => onOpenChange(false));
      const res = await started;
      void qc.invalidateQueries({ queryKey: qk.pools(vm.host) });
      toast.success(`Disk image “${res.volume ?? dest.volume}” written`, { description: `Into pool “${res.pool ?? dest.pool}”, ${formatBytes(res.bytes)}: the disk as it was at “${snapshot}” (${res.location} snapshot).` });
    } catch (err) {
      setError(err);
      toast.error('The disk export failed', { description: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onOpenChange={onOpenChange} className="storage-dialog" noDescription>
      <form onSubmit={(e) => void submit(e)}>
        <DialogHead>{`Export a disk of “${snapshot}”`}</DialogHead>
        <p className="small">A standalone image of the disk as it was at this snapshot: for a backup, or to start a new VM from it. The VM and its snapshots stay as they are.</p>
        <Field label="Disk">
          <select id={`${id}-disk`} value={opts.disk} disabled={busy} onChange={(e) => change({ ...opts, disk: e.target.value })}>
            {disks.length === 0 && <option value="">the first disk</option>}
            {disks.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Format" hint="qcow2 keeps only the data written; raw is the whole disk’s size (sparse where the file system allows).">
          <select id={`${id}-format`} value={opts.format} disabled={busy} onChange={(e) => change({ ...opts, format: e.target.value === 'raw' ? 'raw' : 'qcow2' })}>
            <option value="qcow2">qcow2</option>
            <option value="raw">raw</option>
          </select>
        </Field>
        <DestinationFields host={vm.host} value={dest} onChange={onDest} disabled={busy} />
        {error ? <ErrorNote error={error} /> : null}
        <DialogActions>
          <DialogClose>Cancel</DialogClose>
          <Button type="submit" variant="primary" disabled={bad || busy}>
            {dest.kind === 'download' ? 'Download' : 'Export into the pool'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
