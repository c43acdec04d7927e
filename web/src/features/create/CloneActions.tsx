// Clones and templates on a VM's page: "Clone" (a shut-off VM: full copies
// of its disks or linked qcow2 overlays, a new name, UUID and MACs), "Make
// template" / "Unmark template" (admin), and on a template "New VM from
// template" (the same clone, linked by default). A template has no power
// actions (the server refuses them; its VM model lists none), and the page
// says so. The server checks everything again; its message is shown.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Copy, LayoutTemplate, LoaderCircle } from 'lucide-react';
import { useId, useState, type SyntheticEvent } from 'react';
import { toast } from 'sonner';
import { useLocation } from 'wouter';
import { api } from '../../api/client';
import type { Operation, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { qk } from '../../resources/keys';
import { runToEnd } from '../../resources/operation/queries';
import { normalizeVM, vmHref } from '../../resources/vm/model';
import { useAccess } from '../security/useAccess';
import { Button, Dialog, DialogActions, DialogClose, DialogHead, Field } from '../../ui';
import './create.css';

const vmPath = (vm: Pick<VM, 'host' | 'uuid'>) => `/api/v1/hosts/${encodeURIComponent(vm.host)}/vms/${encodeURIComponent(vm.uuid)}`;

/** The clone request the dialog's choices make. */
export function cloneRequest(name: string, linked: boolean, start: boolean): { name: string; linked: boolean; start: boolean } {
  return { name: name.trim(), linked, start };
}

/** The VM as it is once marked (or unmarked) as a template: a template has no power actions. */
export function markTemplate(vm: VM, template: boolean): VM {
  // Without actions, normalizeVM derives them from the state (none for a template).
  const next: VM = { ...vm, template };
  delete next.actions;
  return normalizeVM(next);
}

/** What keeps a VM from being cloned right now, or null. */
export function cloneBlocker(vm: Pick<VM, 'state' | 'template'>): string | null {
  if (vm.template || vm.state === 'shutoff') return null;
  return 'Shut the VM down first: only a shut-off VM is cloned.';
}

export function CloneDialog({ vm, open, onOpenChange }: { vm: VM; open: boolean; onOpenChange: (o: boolean) => void }) {
  const id = useId();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState(() => `${vm.name}-${vm.template ? 'vm' : 'clone'}`);
  const [linked, setLinked] = useState(vm.template === true);
  const [start, setStart] = useState(false);
  const [stage, setStage] = useState('');
  const m = useMutation({
    mutationFn: () =>
      runToEnd<{ uuid: string; name: string }>(
        qc,
        () => api<Operation>(`${vmPath(vm)}/clone`, { method: 'POST', body: cloneRequest(name, linked, start) }),
        (op) => setStage(op.progress.stage),
      ),
    onSuccess: (res) => {
      toast.success(`Cloned “${vm.name}” as “${res.name}”`);
      onOpenChange(false);
      navigate(vmHref(vm.host, res.uuid));
    },
    onSettled: () => setStage(''),
  });
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    if (name.trim() !== '' && !m.isPending) m.mutate();
  };
  const title = vm.template ? `New VM from template “${vm.name}”` : `Clone “${vm.name}”`;
  return (
    <Dialog open={open} onOpenChange={(o) => (m.isPending ? undefined : onOpenChange(o))} noDescription aria-label={title} className="clone-dialog">
      <form onSubmit={submit}>
        <DialogHead>{title}</DialogHead>
        <Field label="Name" hint="The new VM's name: letters, digits, '.', '-' and '_', up to 64.">
          <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" disabled={m.isPending} />
        </Field>
        <fieldset className="clone-kind">
          <legend className="field-label">Disks</legend>
          <label className="newvm-radio">
            <input type="radio" name={`${id}-kind`} checked={!linked} onChange={() => setLinked(false)} disabled={m.isPending} /> Full copy{' '}
            <span className="muted small">(independent; takes the disks' size and time to copy)</span>
          </label>
          <label className="newvm-radio">
            <input type="radio" name={`${id}-kind`} checked={linked} onChange={() => setLinked(true)} disabled={m.isPending} /> Linked clone{' '}
            <span className="muted small">(qcow2 overlays on this VM's disks: quick and small, but this VM's disks must then stay unchanged)</span>
          </label>
        </fieldset>
        <label className="newvm-radio">
          <input type="checkbox" checked={start} onChange={(e) => setStart(e.target.checked)} disabled={m.isPending} /> Start it once made
        </label>
        {m.isPending && (
          <p role="status" className="muted">
            <LoaderCircle size={14} className="spin" aria-hidden /> Cloning… {stage}
          </p>
        )}
        {m.error ? <ErrorNote error={m.error} title="The VM was not cloned" /> : null}
        <DialogActions>
          <DialogClose>Cancel</DialogClose>
          <Button type="submit" variant="primary" disabled={name.trim() === '' || m.isPending}>
            {m.isPending ? 'Cloning…' : vm.template ? 'Create VM' : 'Clone'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** The VM page's clone and template buttons (what the user's role allows). */
export function CloneActions({ vm, busy }: { vm: VM; busy: boolean }) {
  const qc = useQueryClient();
  const { can } = useAccess();
  const [cloning, setCloning] = useState(false);
  const mark = useMutation({
    mutationFn: (template: boolean) => api<unknown>(`${vmPath(vm)}/template`, { method: 'PUT', body: { template } }),
    onSuccess: (_, template) => {
      toast.success(template ? `“${vm.name}” is now a template` : `“${vm.name}” is no longer a template`);
      // The server's answer is final; its inventory re-reads the definition
      // a moment later (its vm event then replaces this copy).
      qc.setQueryData<VM[]>(qk.vms, (list) => list?.map((v) => (v.host === vm.host && v.uuid === vm.uuid ? markTemplate(v, template) : v)));
    },
    onError: (e) => toast.error(e instanceof Error ? e.message : String(e)),
  });
  const blocker = cloneBlocker(vm);
  const showClone = can('vm.create');
  const showMark = can('vm.edit') && (vm.template === true || vm.state === 'shutoff');
  if (!showClone && !showMark) return null;
  return (
    <div className="details-actions" role="group" aria-label="Clone and template">
      {showClone && (
        <Button onClick={() => setCloning(true)} disabled={busy || blocker !== null} title={blocker ?? undefined}>
          <Copy size={16} aria-hidden />
          {vm.template ? 'New VM from template' : 'Clone'}
        </Button>
      )}
      {showMark && (
        <Button onClick={() => mark.mutate(!vm.template)} disabled={busy || mark.isPending}>
          <LayoutTemplate size={16} aria-hidden />
          {vm.template ? 'Unmark template' : 'Make template'}
        </Button>
      )}
      {cloning && <CloneDialog vm={vm} open={cloning} onOpenChange={setCloning} />}
    </div>
  );
}
