// The one-click fix for a VM without the QEMU guest agent's channel: adds
// it to the VM's definition (admins only: it changes the definition). A
// running VM gets it at its next start, which the button's text and the
// answer say.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { LoaderCircle, Plus } from 'lucide-react';
import { useState } from 'react';
import { toast } from 'sonner';
import { api, vmPath } from '../../api/client';
import type { VM } from '../../api/types';
import { toastError } from '../../components/toastError';
import { sentence } from '../../lib/format';
import { isActive } from '../../resources/vm/model';
import { putVM } from '../../resources/vm/cache';
import { Button } from '../../ui';
import { useAccess } from '../security/useAccess';

/** The answer to POST …/guest-agent/channel. */
export interface GuestAgentAdded {
  /** False when the definition already had the channel. */
  added: boolean;
  /** The VM runs: the channel appears after it is shut down and started again. */
  effectiveAtNextStart: boolean;
  message: string;
  vm: VM;
}

export function AddAgentChannel({ vm }: { vm: VM }) {
  const { can } = useAccess();
  const qc = useQueryClient();
  const [done, setDone] = useState<GuestAgentAdded | null>(null);
  const add = useMutation({
    mutationFn: () => api<GuestAgentAdded>(`${vmPath(vm.host, vm.uuid)}/guest-agent/channel`, { method: 'POST' }),
    onSuccess(res) {
      putVM(qc, res.vm);
      setDone(res);
      toast.success(res.added ? `Guest agent channel added to ${vm.name}` : `${vm.name} already has a guest agent channel`, {
        description: res.effectiveAtNextStart ? 'It takes effect the next time the VM starts: shut it down, then start it.' : undefined,
      });
    },
    onError: (err) => toastError(err, 'The guest agent channel was not added'),
  });
  if (!can('vm.edit')) return null;
  if (done) {
    return (
      <p className="small" role="status" data-testid="agent-channel-added">
        {sentence(done.message)}
      </p>
    );
  }
  const running = isActive(vm.state);
  return (
    <div className="agent-fix">
      <Button onClick={() => add.mutate()} disabled={add.isPending}>
        {add.isPending ? <LoaderCircle size={16} className="spin" aria-hidden /> : <Plus size={16} aria-hidden />}
        Add guest agent channel
      </Button>
      <span className="muted small">
        {running ? ' Takes effect the next time the VM starts (shut down, then start; a reboot from inside the guest is not enough).' : ' The VM gets it when it starts.'}{' '}
        The guest needs qemu-guest-agent installed and running.
      </span>
    </div>
  );
}
