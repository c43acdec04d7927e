// Changing VMs. Each hook writes the server's answer into the cache (the
// VM into the list, an operation into the operations) before the caller's
// own onSuccess runs, so components only say what happened.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, vmPath } from '../../api/client';
import { isOperation, type DeleteVMRequest, type Operation, type PowerAction, type SerialDeviceAdded, type VM, type VNCAdded } from '../../api/types';
import type { MutationCallbacks } from '../mutation';
import { putOperation } from '../operation/cache';
import { putVM } from './cache';

type VMRef = Pick<VM, 'host' | 'uuid'>;

/** A power action: the VM in its new state, or (shutdown) an operation that is put into the operations list. */
export function usePowerAction(vm: VMRef, cb: MutationCallbacks<VM | Operation, PowerAction> = {}) {
  const qc = useQueryClient();
  const { host, uuid } = vm;
  return useMutation({
    mutationKey: ['vm-action', host, uuid],
    mutationFn: (action: PowerAction) => api<VM | Operation>(`${vmPath(host, uuid)}/${action}`, { method: 'POST' }),
    onSuccess(result, action) {
      if (isOperation(result)) putOperation(qc, result);
      else putVM(qc, result);
      cb.onSuccess?.(result, action);
    },
    onError: cb.onError,
  });
}

/** Start with the host, or not. */
export function useSetAutostart(vm: VMRef, cb: MutationCallbacks<VM, boolean> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (enabled: boolean) => api<VM>(`${vmPath(vm.host, vm.uuid)}/autostart`, { method: 'PUT', body: { enabled } }),
    onSuccess(res, enabled) {
      putVM(qc, res);
      cb.onSuccess?.(res, enabled);
    },
    onError: cb.onError,
  });
}

/** Adds VNC graphics to the VM's definition. */
export function useAddVNC(vm: VMRef, cb: MutationCallbacks<VNCAdded, void> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<VNCAdded>(`${vmPath(vm.host, vm.uuid)}/graphics/vnc`, { method: 'POST' }),
    onSuccess(res) {
      putVM(qc, res.vm);
      cb.onSuccess?.(res);
    },
    onError: cb.onError,
  });
}

/** Adds a serial console to the VM's definition. */
export function useAddSerialDevice(vm: VMRef, cb: MutationCallbacks<SerialDeviceAdded, void> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<SerialDeviceAdded>(`${vmPath(vm.host, vm.uuid)}/serial/device`, { method: 'POST' }),
    onSuccess(res) {
      putVM(qc, res.vm);
      cb.onSuccess?.(res);
    },
    onError: cb.onError,
  });
}

/** Deletes the VM: an operation (its end removes the VM through a `vm-removed` event). */
export function useDeleteVM(vm: VMRef, cb: MutationCallbacks<Operation, DeleteVMRequest> = {}) {
  return useMutation({
    mutationFn: (body: DeleteVMRequest) => api<Operation>(vmPath(vm.host, vm.uuid), { method: 'DELETE', body }),
    onSuccess: cb.onSuccess,
    onError: cb.onError,
  });
}
