// The Snapshots tab's Export button: the VM with its snapshot tree as one
// file, downloaded or written as a new volume into a pool on the VM's
// host. A running VM is paused for the export only after the user agrees
// (it runs again when the file is written). The dialog is its own, so
// that the button needs no provider around it.

import { useQueryClient } from '@tanstack/react-query';
import { Download } from 'lucide-react';
import { useCallback, useId, useState, type SyntheticEvent } from 'react';
import { toast } from 'sonner';
import type { VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes } from '../../lib/format';
import { qk } from '../../resources/keys';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, IconButton } from '../../ui';
import { runOperation } from '../snapshots/runOperation';
import { DestinationFields, volumeNameError, type DestinationState } from './DestinationFields';
import { exportFileName, exportToPool, startExport } from './transfer';

interface ExportResult {
  pool?: string;
  volume?: string;
  bytes: number;
  snapshots: number;
}

export function ExportButton({ vm, disabled }: { vm: VM; disabled?: boolean }) {
  const qc = useQueryClient();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [pause, setPause] = useState(false);
  const [dest, setDest] = useState<DestinationState>({ kind: 'download', pool: '', volume: exportFileName(vm.name) });
  const [error, setError] = useState<unknown>(null);
  const onDest = useCallback((d: DestinationState) => setDest(d), []);
  const running = vm.state === 'running';
  const bad = (running && !pause) || (dest.kind === 'pool' && (dest.pool === '' || volumeNameError(dest.volume) !== null));
  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (bad) return;
    setError(null);
    if (dest.kind === 'download') {
      startExport(vm.host, vm.uuid, vm.name, running && pause);
      toast('Export started', {
        description: 'The browser shows the download’s progress; the file holds the disks, the definition and every snapshot, with checksums. Import it on the Storage page of any host.',
      });
      setOpen(false);
      return;
    }
    try {
      const res = await runOperation<ExportResult>(qc, () => exportToPool(vm.host, vm.uuid, dest.pool, dest.volume, running && pause), () => setOpen(false));
      void qc.invalidateQueries({ queryKey: qk.pools(vm.host) });
      toast.success(`Exported “${vm.name}” into “${res.pool ?? dest.pool}”`, { description: `Volume “${res.volume ?? dest.volume}”, ${formatBytes(res.bytes)}, with ${res.snapshots} snapshot(s). Import it on the Storage page of any host.` });
    } catch (err) {
      setError(err);
      toast.error('The export failed', { description: err instanceof Error ? err.message : String(err) });
    }
  };
  return (
    <>
      <IconButton showLabel="wide" text="Export" label="Export the VM with its snapshots" tip="The VM with its snapshot tree as one file: downloaded or into a pool" disabled={disabled} onClick={() => setOpen(true)}>
        <Download size={16} aria-hidden />
      </IconButton>
      <Dialog open={open} onOpenChange={setOpen} className="storage-dialog" noDescription>
        <form onSubmit={(e) => void submit(e)}>
          <DialogHead>{`Export “${vm.name}”`}</DialogHead>
          <p className="small">One file with the VM’s disks, its definition and every snapshot, with checksums. Import it on the Storage page of any host.</p>
          <DestinationFields host={vm.host} value={dest} onChange={onDest} />
          {running && (
            <label className="export-pause">
              <input id={`${id}-pause`} type="checkbox" checked={pause} onChange={(e) => setPause(e.target.checked)} /> Pause “{vm.name}” for the export (its disks are read while it is paused, so that the
              file is consistent; it runs again as soon as the file is written, also if the export fails). Or shut it down first.
            </label>
          )}
          {error ? <ErrorNote error={error} /> : null}
          <DialogActions>
            <DialogClose>Cancel</DialogClose>
            <Button type="submit" variant="primary" disabled={bad}>
              {running ? 'Pause and export' : 'Export'}
            </Button>
          </DialogActions>
        </form>
      </Dialog>
    </>
  );
}
