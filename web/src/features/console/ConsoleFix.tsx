// What the console shows instead of a screen when it cannot connect, with
// the fix: start the VM, add VNC graphics (admins: it changes the VM's
// definition), download a .vv file for SPICE.

import { Download, LoaderCircle, MonitorOff, Play, Plus, Power, RefreshCw } from 'lucide-react';
import { useState } from 'react';
import { toast } from 'sonner';
import { vmPath } from '../../api/client';
import type { VM, VNCAdded } from '../../api/types';
import { sentence } from '../../lib/format';
import { isActive } from '../../resources/vm/model';
import { useAddVNC } from '../../resources/vm/mutations';
import { useAccess } from '../security/useAccess';
import { toastError } from '../../components/toastError';
import { useVMAction } from '../vms/useVMAction';
import type { ConsoleView } from './connection';
import { Button } from '../../ui';


function StartButton({ vm, label = 'Start VM' }: { vm: VM; label?: string }) {
  const { run, pending } = useVMAction(vm);
  const { can } = useAccess();
  if (!can('vm.power') || !(vm.actions ?? []).includes('start')) return null;
  return (
    <Button variant="primary" onClick={() => void run('start')} disabled={pending !== undefined}>
      {pending === 'start' ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Play size={16} aria-hidden />}
      {label}
    </Button>
  );
}

function ShutDownButton({ vm }: { vm: VM }) {
  const { run, pending } = useVMAction(vm);
  const { can } = useAccess();
  if (!can('vm.power') || !(vm.actions ?? []).includes('shutdown')) return null;
  return (
    <Button onClick={() => void run('shutdown')} disabled={pending !== undefined}>
      {pending === 'shutdown' ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Power size={16} aria-hidden />}
      Shut down
    </Button>
  );
}

/** Adds VNC graphics to the VM's definition, and says when they take effect; says who can, for other roles. */
function AddVNC({ vm }: { vm: VM }) {
  const { can, role } = useAccess();
  if (!can('vm.edit')) {
    return (
      <p className="muted" data-testid="role-hint">
        Adding a VNC display changes the VM’s configuration, which only an admin can do{role ? ` (your role: ${role})` : ''}. Ask an admin to add one
        from this tab.
      </p>
    );
  }
  return <AddVNCButton vm={vm} />;
}

function AddVNCButton({ vm }: { vm: VM }) {
  const [done, setDone] = useState<VNCAdded | null>(null);
  const add = useAddVNC(vm, {
    onSuccess(res) {
      setDone(res);
      toast.success(res.added ? `VNC graphics added to ${vm.name}` : `${vm.name} already has VNC graphics`, {
        description: res.effectiveAtNextStart ? 'They take effect the next time the VM starts: shut it down, then start it.' : undefined,
      });
    },
    onError: (err) => toastError(err, 'VNC graphics were not added'),
  });
  const running = isActive(vm.state);
  if (done) {
    return (
      <div className="vnc-fix-done" role="status">
        <p>
          <strong>{sentence(done.message)}</strong>
        </p>
        <div className="vnc-fix-actions">{running ? <ShutDownButton vm={vm} /> : <StartButton vm={vm} label="Start VM and connect" />}</div>
      </div>
    );
  }
  return (
    <>
      <p className="muted">
        KVM Manager can add a VNC display to the VM’s configuration (listening on 127.0.0.1 only, port chosen automatically; the browser reaches it
        through KVM Manager). {running ? 'It takes effect the next time the VM starts — shut it down, then start it; a reboot from inside the guest is not enough.' : 'The VM gets it when it starts.'}
      </p>
      <div className="vnc-fix-actions">
        <Button variant="primary" onClick={() => add.mutate()} disabled={add.isPending}>
          {add.isPending ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Plus size={16} aria-hidden />}
          Add VNC graphics
        </Button>
      </div>
    </>
  );
}

export function ConsoleFix({ vm, view, onReconnect }: { vm: VM; view: ConsoleView; onReconnect: () => void }) {
  let title: string;
  let body: React.ReactNode;
  switch (view.phase) {
    case 'vm-stopped':
      title = `${vm.name} is not running`;
      body = (
        <>
          <p className="muted">The console connects by itself when the VM starts.</p>
          <div className="vnc-fix-actions">
            <StartButton vm={vm} />
          </div>
        </>
      );
      break;
    case 'no-vnc':
      title = 'This VM has no VNC display';
      body = (
        <>
          <p>{sentence(view.message)}</p>
          <AddVNC vm={vm} />
        </>
      );
      break;
    case 'spice-only':
      title = 'This VM has a SPICE display only';
      body = (
        <>
          <p>The browser console speaks VNC. Open the SPICE display in remote-viewer (virt-viewer) with a connection file, or add a VNC display.</p>
          <div className="vnc-fix-actions">
            {isActive(vm.state) && (
              <Button asChild>
                <a href={`${vmPath(vm.host, vm.uuid)}/console.vv`} download>
                  <Download size={16} aria-hidden />
                  Download .vv file for remote-viewer
                </a>
              </Button>
            )}
          </div>
          <AddVNC vm={vm} />
        </>
      );
      break;
    case 'not-listening':
      title = 'The VM’s VNC display cannot be reached';
      body = (
        <>
          <p>{sentence(view.message)}</p>
          {view.hint && <p className="muted">{sentence(view.hint)}</p>}
        </>
      );
      break;
    case 'failed':
      title = 'The console is not available';
      body = (
        <>
          <p>{sentence(view.message)}</p>
          {view.hint && <p className="muted">{sentence(view.hint)}</p>}
          <div className="vnc-fix-actions">
            <Button onClick={onReconnect}>
              <RefreshCw size={16} aria-hidden /> Try again
            </Button>
          </div>
        </>
      );
      break;
    case 'disconnected':
      title = 'Disconnected';
      body = (
        <>
          <p className="muted">You closed this console. The VM keeps running.</p>
          <div className="vnc-fix-actions">
            <Button variant="primary" onClick={onReconnect}>
              <RefreshCw size={16} aria-hidden /> Connect
            </Button>
          </div>
        </>
      );
      break;
    default:
      return null;
  }
  return (
    <div className="vnc-fix" role="region" aria-label={`Console of ${vm.name}: ${title}`} data-testid="console-fix" data-phase={view.phase}>
      <MonitorOff size={32} aria-hidden />
      <h2>{title}</h2>
      {body}
    </div>
  );
}
