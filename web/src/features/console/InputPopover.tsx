// The console's keyboard and pointer settings in the VM's definition (the
// VNC keymap, a USB tablet) and the pointer-lock mode, behind one toolbar
// button. The button says so when the running guest has no absolute
// pointer: its pointer then drifts from the browser's.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Mouse, MousePointer2 } from 'lucide-react';
import { Popover } from 'radix-ui';
import { useContext, useState, type RefObject } from 'react';
import { toast } from 'sonner';
import { api, vmPath } from '../../api/client';
import type { VM } from '../../api/types';
import { toastError } from '../../components/toastError';
import { putVM } from '../../resources/vm/cache';
import { Button, IconButton } from '../../ui';
import { useAccess } from '../security/useAccess';
import { PortalRoot } from './ConsoleTools';

/** GET .../console/input. */
export interface ConsoleInput {
  keymap: string;
  liveKeymap: string;
  tablet: boolean;
  liveTablet: boolean;
  running: boolean;
  hasVNC: boolean;
  keymaps: string[];
}

/** The answer to PUT .../graphics/vnc/keymap and POST .../input/tablet. */
interface InputChanged {
  changed: boolean;
  effectiveAtNextStart: boolean;
  message: string;
  vm: VM;
}

const inputKey = (host: string, uuid: string) => ['console-input', host, uuid] as const;

/** The VM's console input settings; read again when the VM starts or stops. */
export function useConsoleInput(vm: Pick<VM, 'host' | 'uuid' | 'state'>) {
  return useQuery({
    queryKey: [...inputKey(vm.host, vm.uuid), vm.state],
    queryFn: ({ signal }) => api<ConsoleInput>(`${vmPath(vm.host, vm.uuid)}/console/input`, { signal }),
  });
}

function useInputChange<T>(vm: Pick<VM, 'host' | 'uuid'>, send: (arg: T) => Promise<InputChanged>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess(res) {
      putVM(qc, res.vm);
      void qc.invalidateQueries({ queryKey: inputKey(vm.host, vm.uuid) });
      toast.success(res.message.charAt(0).toUpperCase() + res.message.slice(1));
    },
    onError: (e: unknown) => toastError(e),
  });
}

/** Locks the browser's pointer to the console's screen (Pointer Lock API); Esc unlocks it. */
export function lockPointer(screen: HTMLElement | null): void {
  const canvas = screen?.querySelector('canvas');
  if (!canvas) return;
  const p = canvas.requestPointerLock() as Promise<void> | undefined;
  p?.catch(() => toast.error('The browser did not lock the pointer', { description: 'Click the screen first; some browsers allow it only after a click.' }));
}

/** The toolbar's "Pointer" button and its popover. */
export function InputPopover({ vm, screen, locked, disabled }: { vm: VM; screen: RefObject<HTMLElement | null>; locked: boolean; disabled: boolean }) {
  const container = useContext(PortalRoot) ?? undefined;
  const { role } = useAccess();
  const admin = role === 'admin';
  const q = useConsoleInput(vm);
  const inp = q.data;
  const [keymap, setKeymap] = useState<string | null>(null);
  const addTablet = useInputChange<null>(vm, () => api<InputChanged>(`${vmPath(vm.host, vm.uuid)}/input/tablet`, { method: 'POST' }));
  const saveKeymap = useInputChange<string>(vm, (k) => api<InputChanged>(`${vmPath(vm.host, vm.uuid)}/graphics/vnc/keymap`, { method: 'PUT', body: { keymap: k } }));
  // Relative only: the running guest has no tablet (a stopped one is judged by what it will start with).
  const relative = inp !== undefined && (inp.running ? !inp.liveTablet : !inp.tablet);
  const label = relative ? 'Pointer: relative (no USB tablet)' : 'Pointer and keyboard';
  const chosen = keymap ?? inp?.keymap ?? '';
  return (
    <Popover.Root>
      <Popover.Trigger asChild>
        <IconButton
          label={label}
          tip={relative ? 'The VM has no absolute pointer: its pointer may drift from yours' : 'Pointer and keyboard'}
          showLabel={relative ? 'wide' : 'never'}
          text={relative ? 'No tablet' : undefined}
          className={relative ? 'vnc-has-news' : undefined}
          container={container}
          data-relative={relative || undefined}
        >
          {relative ? <Mouse size={16} aria-hidden /> : <MousePointer2 size={16} aria-hidden />}
        </IconButton>
      </Popover.Trigger>
      <Popover.Portal container={container}>
        <Popover.Content className="popover vnc-input" side="bottom" align="end" sideOffset={6} collisionPadding={8} aria-label="Pointer and keyboard">
          <h3 className="popover-title">Pointer</h3>
          {!inp ? (
            <p className="muted small">{q.isError ? 'Could not read the VM’s definition.' : 'Reading the VM’s definition…'}</p>
          ) : relative ? (
            <>
              <p className="small" role="status">
                This VM has no absolute pointer (USB tablet): the guest gets relative motion and applies its own acceleration, so its pointer drifts
                away from yours.
              </p>
              {inp.tablet ? (
                <p className="small">A USB tablet is in the definition: it takes effect the next time the VM starts (shut down and start).</p>
              ) : admin ? (
                <Button size="sm" variant="primary" disabled={addTablet.isPending} onClick={() => addTablet.mutate(null)}>
                  Add USB tablet
                </Button>
              ) : (
                <p className="muted small">An admin can add a USB tablet to the VM.</p>
              )}
            </>
          ) : (
            <p className="small muted" role="status">
              The VM has a USB tablet: its pointer follows yours exactly.
            </p>
          )}
          <p className="small">
            <Button size="sm" disabled={disabled || locked} onClick={() => lockPointer(screen.current)}>
              {locked ? 'Pointer locked' : 'Lock pointer'}
            </Button>{' '}
            <span className="muted">
              Hides your pointer and sends only its motion, for guests that need relative input. Press <kbd>Esc</kbd> to get it back.
            </span>
          </p>
          <h3 className="popover-title">VNC keymap</h3>
          {inp && (
            <>
              <p className="muted small">
                Only for VNC clients that send characters instead of keys (this console sends keys). QEMU reads it when the VM starts.
                {inp.running && inp.liveKeymap !== inp.keymap ? ` Running with: ${inp.liveKeymap || 'default (en-us)'}.` : ''}
              </p>
              <select
                id="vnc-keymap"
                aria-label="VNC keymap"
                value={chosen}
                disabled={!admin || !inp.hasVNC}
                onChange={(e) => setKeymap(e.target.value)}
              >
                <option value="">Default (en-us)</option>
                {inp.keymaps.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>{' '}
              {admin && (
                <Button size="sm" disabled={!inp.hasVNC || chosen === inp.keymap || saveKeymap.isPending} onClick={() => saveKeymap.mutate(chosen)}>
                  Save
                </Button>
              )}
            </>
          )}
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}
