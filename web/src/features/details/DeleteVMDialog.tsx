// Deleting a VM: its disks with checkboxes (none ticked), its snapshots
// (which must be deleted with it, by an explicit choice), powering off a
// running VM, its linked clones (whose disks back onto its images, which
// then stay), and a summary of exactly what is removed and what is kept.

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle, Trash2 } from 'lucide-react';
import { useMemo, useState } from 'react';
import { useLocation } from 'wouter';
import { PathText } from '../../components/PathText';
import { ApiError } from '../../api/client';
import type { DeleteVMRequest, Disk, VM } from '../../api/types';
import { formatBytes, plural } from '../../lib/format';
import { listQuery } from '../../resources/snapshot/queries';
import { isActive, stateLabel } from '../../resources/vm/model';
import { vmsQuery } from '../../resources/vm/queries';
import { useDeleteVM } from '../../resources/vm/mutations';
import { followOperation } from '../operations/operations';
import { Banner, Button, Dialog, DialogActions, DialogClose, DialogDescription, DialogHead } from '../../ui';

/** Whether the server can remove a disk's image (file-backed, with a path, on a local host). */
export function removable(d: Disk, localHost: boolean): boolean {
  return d.type === 'file' && !!d.source && localHost;
}

/** The VMs made as linked clones of vm (their disks are qcow2 overlays on its disk images), by name. */
export function linkedClonesOf(vm: VM, all: readonly VM[]): string[] {
  return all
    .filter((o) => o.host === vm.host && o.uuid !== vm.uuid && o.clonedFrom === vm.uuid && o.linkedClone)
    .map((o) => o.name)
    .sort((a, b) => a.localeCompare(b));
}

/** Whether a linked clone makes an overlay on this disk (every writable disk, as the clone does). */
function backsClones(d: Disk): boolean {
  return d.device === 'disk' && !d.readOnly && !d.shareable;
}

function diskWhy(d: Disk, localHost: boolean, clones: readonly string[]): string | null {
  if (!d.source) return 'no image attached';
  if (d.type !== 'file') return `a ${d.type} disk: remove it with the tools of its storage`;
  if (!localHost) return 'images of remote hosts cannot be removed yet';
  if (clones.length > 0 && backsClones(d)) return `its linked ${clones.length === 1 ? 'clone' : 'clones'} ${clones.join(', ')} ${clones.length === 1 ? 'backs' : 'back'} onto it`;
  return null;
}

/** The request body the dialog's choices make. */
export function deleteRequest(vm: VM, chosen: ReadonlySet<string>, opts: { snapshots: boolean; force: boolean; nvram: boolean }): DeleteVMRequest {
  const req: DeleteVMRequest = {
    disks: (vm.disks ?? []).filter((d) => chosen.has(d.target)).map((d) => d.target),
    force: opts.force,
    removeNvram: opts.nvram,
  };
  if (opts.snapshots) req.snapshots = 'delete';
  return req;
}

export function DeleteVMDialog({ vm, open, onOpenChange, localHost }: { vm: VM; open: boolean; onOpenChange: (o: boolean) => void; localHost: boolean }) {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [chosen, setChosen] = useState<Set<string>>(() => new Set());
  const [snapshots, setSnapshots] = useState(false);
  const [force, setForce] = useState(false);
  const [nvram, setNvram] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const disks = vm.disks ?? [];
  const active = isActive(vm.state);
  const hasSnapshots = vm.snapshotCount > 0;
  const efi = vm.firmware === 'efi';

  // The snapshot names, where the server can list them (the snapshots API may not exist yet).
  const snapList = useQuery({
    ...listQuery(vm.host, vm.uuid),
    enabled: open && hasSnapshots,
    retry: false,
    staleTime: 10_000,
  });
  const snapNames = snapList.data?.snapshots?.map((s) => s.name) ?? [];
  // Linked clones, from the VM list the app keeps current (the server
  // refuses to remove an image another VM's disk backs onto in any case).
  const vmList = useQuery({ ...vmsQuery, enabled: open });
  const clones = useMemo(() => linkedClonesOf(vm, vmList.data ?? []), [vm, vmList.data]);

  const reset = () => {
    setChosen(new Set());
    setSnapshots(false);
    setForce(false);
    setNvram(false);
    setError(null);
  };

  const del = useDeleteVM(vm, {
    onSuccess: (op) => {
      followOperation(qc, op);
      onOpenChange(false);
      reset();
      navigate('/');
    },
    onError: (e) => setError(e instanceof ApiError ? e : new ApiError(0, { code: 'error', message: String(e) })),
  });

  const removed = disks.filter((d) => chosen.has(d.target));
  const kept = disks.filter((d) => !chosen.has(d.target) && d.source);
  const blockers = useMemo(() => {
    const b: string[] = [];
    if (hasSnapshots && !snapshots) b.push('choose to delete its snapshots');
    if (active && !force) b.push('allow powering it off');
    return b;
  }, [hasSnapshots, snapshots, active, force]);

  const toggle = (target: string, on: boolean) =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(target);
      else next.delete(target);
      return next;
    });

  return (
    <Dialog
      wide
      className="delete-dialog"
      open={open}
      onOpenChange={(o) => {
        if (!o) reset();
        onOpenChange(o);
      }}
    >
          <DialogHead>Delete VM “{vm.name}”?</DialogHead>
          <DialogDescription className="muted">
            The VM’s definition is removed from host {vm.host}. Disk images are deleted only if you tick them below.
          </DialogDescription>

          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (blockers.length === 0) del.mutate(deleteRequest(vm, chosen, { snapshots, force, nvram }));
            }}
          >
            <fieldset className="delete-group">
              <legend>Disk images</legend>
              {disks.length === 0 && <p className="muted">This VM has no disks.</p>}
              {disks.map((d) => {
                const why = diskWhy(d, localHost, clones);
                const id = `del-disk-${d.target}`;
                return (
                  <div key={d.target} className="check-row">
                    <input id={id} type="checkbox" checked={chosen.has(d.target)} disabled={why !== null} onChange={(e) => toggle(d.target, e.target.checked)} />
                    <label htmlFor={id}>
                      <span>
                        Delete the image of <span className="mono">{d.target}</span>
                        {d.device !== 'disk' ? ` (${d.device})` : ''}
                        {d.capacityBytes !== undefined ? ` · ${formatBytes(d.capacityBytes)}` : ''}
                        {d.allocationBytes !== undefined ? `, ${formatBytes(d.allocationBytes)} used on the host` : ''}
                      </span>
                      {d.source && <span className="mono path small"><PathText path={d.source} /></span>}
                      {why && <span className="muted small">Kept: {why}</span>}
                      {!why && d.shareable && <span className="small text-warn">Marked shareable: other VMs may use this image.</span>}
                      {!why && d.device === 'cdrom' && <span className="small text-warn">An install medium: usually shared, usually kept.</span>}
                    </label>
                  </div>
                );
              })}
            </fieldset>

            {clones.length > 0 && (
              <fieldset className="delete-group linked-clones">
                <legend>Linked clones</legend>
                <p>
                  {plural(clones.length, 'VM')} {clones.length === 1 ? 'is a linked clone' : 'are linked clones'} of {vm.name}:
                </p>
                <ul>
                  {clones.map((n) => (
                    <li key={n} className="mono">
                      {n}
                    </li>
                  ))}
                </ul>
                <p className="small text-warn">
                  Their disks are overlays on its disk images, so those images are kept: deleting them would break the clones. Delete the clones first to remove the
                  images too. Deleting {vm.name} itself, keeping its images, leaves the clones working.
                </p>
              </fieldset>
            )}

            {hasSnapshots && (
              <fieldset className="delete-group">
                <legend>Snapshots</legend>
                <p>
                  This VM has {plural(vm.snapshotCount, 'snapshot')}
                  {snapNames.length > 0 ? `: ${snapNames.slice(0, 12).join(', ')}${snapNames.length > 12 ? ` and ${snapNames.length - 12} more` : ''}` : ''}. A VM
                  with snapshots can only be deleted together with them.
                </p>
                <div className="check-row">
                  <input id="del-snaps" type="checkbox" checked={snapshots} onChange={(e) => setSnapshots(e.target.checked)} />
                  <label htmlFor="del-snaps">Delete its {plural(vm.snapshotCount, 'snapshot')} (their saved states are lost)</label>
                </div>
              </fieldset>
            )}

            {(active || efi) && (
              <fieldset className="delete-group">
                <legend>Also</legend>
                {active && (
                  <div className="check-row">
                    <input id="del-force" type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
                    <label htmlFor="del-force">
                      Power it off first. It is {stateLabel(vm.state).toLowerCase()}: it will be powered off immediately; unsaved data in the guest is lost.
                    </label>
                  </div>
                )}
                {efi && (
                  <div className="check-row">
                    <input id="del-nvram" type="checkbox" checked={nvram} onChange={(e) => setNvram(e.target.checked)} />
                    <label htmlFor="del-nvram">Also remove its UEFI variable store (NVRAM)</label>
                  </div>
                )}
              </fieldset>
            )}

            <div className="delete-summary" aria-live="polite">
              <strong>What will happen</strong>
              <ul>
                {active && force && <li>{vm.name} is powered off at once.</li>}
                <li>
                  Removed: the definition of VM “{vm.name}”
                  {snapshots && hasSnapshots ? `, its ${plural(vm.snapshotCount, 'snapshot')}` : ''}
                  {nvram && efi ? ', its UEFI variables' : ''}
                  {removed.length > 0 ? `, and ${plural(removed.length, 'disk image')}:` : '.'}
                  {removed.length > 0 && (
                    <ul>
                      {removed.map((d) => (
                        <li key={d.target} className="mono path small">
                          {d.source && <PathText path={d.source} />}
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
                {kept.length > 0 && (
                  <li>
                    Kept on the host: {plural(kept.length, 'disk')}
                    <ul>
                      {kept.map((d) => (
                        <li key={d.target} className="mono path small">
                          {d.source && <PathText path={d.source} />}
                        </li>
                      ))}
                    </ul>
                  </li>
                )}
                {efi && !nvram && <li>Kept: its UEFI variable store.</li>}
              </ul>
              {blockers.length > 0 && <p className="text-warn small">To delete it, {blockers.join(' and ')}.</p>}
            </div>

            {error && (
              <Banner tone="bad" role="alert">
                <p>{error.message}</p>
                {error.hint && <p className="muted">{error.hint}</p>}
              </Banner>
            )}

            <DialogActions>
              <DialogClose>Cancel</DialogClose>
              <Button type="submit" variant="danger" disabled={blockers.length > 0 || del.isPending}>
                {del.isPending ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Trash2 size={16} aria-hidden />}
                Delete VM
              </Button>
            </DialogActions>
          </form>
    </Dialog>
  );
}
