// Changing storage. Each hook re-reads the host's pools and volumes after
// the server answered and before the caller's own onSuccess runs (no events
// patch storage yet), so components only say what happened.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, vmPath } from '../../api/client';
import type { Operation, VM } from '../../api/types';
import type { MutationCallbacks } from '../mutation';
import { putVM } from '../vm/cache';
import { cdromPath, poolPath, poolsPath, volumePath, volumesPath, type Media, type Pool, type PoolAction, type ResizeResult, type Volume } from './model';
import { invalidatePools } from './queries';

/** Start, stop, refresh or delete (forget) a pool. */
export function usePoolAction(host: string, cb: MutationCallbacks<void, { pool: string; action: PoolAction }> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ pool, action }: { pool: string; action: PoolAction }): Promise<void> => {
      if (action === 'delete') await api<undefined>(poolPath(host, pool), { method: 'DELETE' });
      else await api<Pool>(`${poolPath(host, pool)}/${action}`, { method: 'POST' });
    },
    async onSuccess(res, vars) {
      await invalidatePools(qc, host);
      cb.onSuccess?.(res, vars);
    },
    onError: cb.onError,
  });
}

/** Makes a directory pool (and starts it). */
export function useCreatePool(host: string, cb: MutationCallbacks<Pool, { name: string; path: string }> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (req: { name: string; path: string }) => api<Pool>(poolsPath(host), { method: 'POST', body: req }),
    async onSuccess(res, vars) {
      await invalidatePools(qc, host);
      cb.onSuccess?.(res, vars);
    },
    onError: cb.onError,
  });
}

export interface CreateVolumeRequest {
  name: string;
  format: 'qcow2' | 'raw';
  size: string;
}

/** Makes an empty volume. */
export function useCreateVolume(host: string, pool: string, cb: MutationCallbacks<Volume, CreateVolumeRequest> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (req: CreateVolumeRequest) => api<Volume>(volumesPath(host, pool), { method: 'POST', body: req }),
    async onSuccess(res, vars) {
      await invalidatePools(qc, host);
      cb.onSuccess?.(res, vars);
    },
    onError: cb.onError,
  });
}

/** Grows a volume (through the running VM using it, when there is one). */
export function useResizeVolume(vol: Pick<Volume, 'host' | 'pool' | 'name'>, cb: MutationCallbacks<ResizeResult, string> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (size: string) => api<ResizeResult>(`${volumePath(vol.host, vol.pool, vol.name)}/resize`, { method: 'POST', body: { size } }),
    async onSuccess(res, vars) {
      await invalidatePools(qc, vol.host);
      cb.onSuccess?.(res, vars);
    },
    onError: cb.onError,
  });
}

/** Deletes a volume and its file. */
export function useDeleteVolume(host: string, pool: string, cb: MutationCallbacks<void, Volume> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (v: Volume): Promise<void> => {
      await api<undefined>(volumePath(host, pool, v.name), { method: 'DELETE' });
    },
    async onSuccess(res, v) {
      cb.onSuccess?.(res, v);
      await invalidatePools(qc, host);
    },
    onError: cb.onError,
  });
}

/** Starts a clone: the server answers 202 with the operation. */
export function startClone(host: string, pool: string, vol: string, name: string): Promise<Operation> {
  return api<Operation>(`${volumePath(host, pool, vol)}/clone`, { method: 'POST', body: { name } });
}

/** Inserts a volume into a VM's CD-ROM drive (null ejects), then re-reads the VM and the host's storage. */
export function useChangeMedia(vm: Pick<VM, 'host' | 'uuid'>, target: string, cb: MutationCallbacks<Media, { pool: string; volume: string } | null> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (put: { pool: string; volume: string } | null) =>
      api<Media>(cdromPath(vm.host, vm.uuid, target), put ? { method: 'PUT', body: put } : { method: 'DELETE' }),
    async onSuccess(res, vars) {
      const fresh = await api<VM>(vmPath(vm.host, vm.uuid));
      putVM(qc, fresh);
      await invalidatePools(qc, vm.host);
      cb.onSuccess?.(res, vars);
    },
    onError: cb.onError,
  });
}

/** The answer to POST …/cdrom: the drive added to the VM's definition. */
export interface DriveAdded {
  target: string;
  bus: string;
  effectiveAtNextStart: boolean;
  message: string;
}

/** Adds an empty CD-ROM drive to a VM's definition, then re-reads the VM. */
export function useAddCdromDrive(vm: Pick<VM, 'host' | 'uuid'>, cb: MutationCallbacks<DriveAdded, void> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api<DriveAdded>(`${vmPath(vm.host, vm.uuid)}/cdrom`, { method: 'POST' }),
    async onSuccess(res, vars) {
      cb.onSuccess?.(res, vars);
      putVM(qc, await api<VM>(vmPath(vm.host, vm.uuid)));
    },
    onError: cb.onError,
  });
}
