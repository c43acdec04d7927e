// Running a power action on a VM: confirmation where data can be lost,
// the request, then a toast with the new state (or the operation's
// progress for shutdown), and the server's message and hint on failure.

import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { toast } from 'sonner';
import { isOperation, type PowerAction, type VM } from '../../api/types';
import { useConfirm } from '../../components/ConfirmProvider';
import { toastError } from '../../components/toastError';
import { ACTION_INFO, stateLabel } from '../../resources/vm/model';
import { usePowerAction } from '../../resources/vm/mutations';
import { followOperation } from '../operations/operations';

export interface VMActionState {
  /** Runs an action, asking first where data can be lost. */
  run: (action: PowerAction) => Promise<void>;
  /** The action in flight, if any. */
  pending: PowerAction | undefined;
}

export function useVMAction(vm: Pick<VM, 'host' | 'uuid' | 'name'>): VMActionState {
  const qc = useQueryClient();
  const confirm = useConfirm();
  const { host, uuid, name } = vm;
  const mutation = usePowerAction({ host, uuid }, {
    onSuccess(result, action) {
      if (isOperation(result)) {
        followOperation(qc, result);
        return;
      }
      toast.success(`${name} ${ACTION_INFO[action].done}`, { description: `Now: ${stateLabel(result.state)}` });
    },
    onError: (err) => toastError(err),
  });
  const { mutate } = mutation;

  const run = useCallback(
    async (action: PowerAction) => {
      const info = ACTION_INFO[action];
      if (info.confirm) {
        const ok = await confirm({
          title: `${info.confirm.title} “${name}”?`,
          body: info.confirm.body,
          confirmLabel: info.label,
          danger: true,
        });
        if (!ok) return;
      }
      mutate(action);
    },
    [confirm, mutate, name],
  );

  return { run, pending: mutation.isPending ? mutation.variables : undefined };
}
