// The VM list in the cache: pure reducers that apply events and action
// results, and the one helper that puts a VM the server sent into the
// list. The reducers keep the identity of every VM that did not change, so
// memoised cards skip re-rendering.

import type { QueryClient } from '@tanstack/react-query';
import type { VM } from '../../api/types';
import { qk } from '../keys';
import { patchCached } from '../patch';
import { normalizeVM } from './model';

const sameVM = (a: VM, host: string, uuid: string) => a.host === host && a.uuid === uuid;

/** Inserts or replaces a VM, keeping the list sorted by host, then name. */
export function upsertVM(list: readonly VM[] | undefined, raw: VM): VM[] {
  const vm = normalizeVM(raw);
  const prev = list ?? [];
  const i = prev.findIndex((v) => sameVM(v, vm.host, vm.uuid));
  if (i >= 0) {
    const old = prev[i];
    // An event older than what is shown changes nothing.
    if (old?.updated && vm.updated && Date.parse(vm.updated) < Date.parse(old.updated)) return prev as VM[];
    const next = prev.slice();
    next[i] = old?.addresses && !vm.addresses ? { ...vm, addresses: old.addresses } : vm;
    return next;
  }
  const next = prev.slice();
  let at = next.findIndex((v) => v.host > vm.host || (v.host === vm.host && v.name.localeCompare(vm.name) > 0));
  if (at < 0) at = next.length;
  next.splice(at, 0, vm);
  return next;
}

/** Removes a VM; the same list when it was not there. */
export function removeVM(list: readonly VM[] | undefined, host: string, uuid: string): VM[] {
  const prev = list ?? [];
  const i = prev.findIndex((v) => sameVM(v, host, uuid));
  if (i < 0) return prev as VM[];
  return [...prev.slice(0, i), ...prev.slice(i + 1)];
}

/**
 * Puts a VM the server sent (a mutation's answer, a `vm` event) into the
 * cached list. A list not read yet stays unread: the first read brings the VM.
 */
export function putVM(qc: QueryClient, vm: VM): void {
  patchCached<VM[]>(qc, qk.vms, (list) => (list ? upsertVM(list, vm) : list));
}

/** Takes a VM out of the cached list (a `vm-removed` event). */
export function dropVM(qc: QueryClient, host: string, uuid: string): void {
  patchCached<VM[]>(qc, qk.vms, (list) => (list ? removeVM(list, host, uuid) : list));
}
