// The Snapshots tab's Export button: downloads the VM with its snapshot
// tree as one file. A running VM is paused for the export only after the
// user agrees (it runs again when the file is written). The question is a
// dialog of its own, so that the button needs no provider around it.

import { Download } from 'lucide-react';
import { useState } from 'react';
import { toast } from 'sonner';
import type { VM } from '../../api/types';
import { Dialog, DialogAction, DialogActions, DialogClose, DialogDescription, DialogTitle, IconButton } from '../../ui';
import { startExport } from './transfer';

function started(vm: VM, pause: boolean) {
  startExport(vm.host, vm.uuid, vm.name, pause);
  toast('Export started', {
    description: 'The browser shows the download’s progress; the file holds the disks, the definition and every snapshot, with checksums. Import it on the Storage page of any host.',
  });
}

export function ExportButton({ vm, disabled }: { vm: VM; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  return (
    <>
      <IconButton
        showLabel="wide"
        text="Export"
        label="Export the VM with its snapshots"
        tip="Download the VM with its snapshot tree as one file"
        disabled={disabled}
        onClick={() => (vm.state === 'running' ? setAsking(true) : started(vm, false))}
      >
        <Download size={16} aria-hidden />
      </IconButton>
      <Dialog alert open={asking} onOpenChange={setAsking}>
        <DialogTitle>{`Pause “${vm.name}” for the export?`}</DialogTitle>
        <DialogDescription asChild>
          <div className="dialog-body">
            Its disks are read while it is paused, so that the file is consistent; it runs again as soon as the file is written, also if the export fails. Or shut it down first and export it as it
            is.
          </div>
        </DialogDescription>
        <DialogActions>
          <DialogClose>Cancel</DialogClose>
          <DialogAction
            variant="primary"
            onClick={() => {
              setAsking(false);
              started(vm, true);
            }}
          >
            Pause and export
          </DialogAction>
        </DialogActions>
      </Dialog>
    </>
  );
}
