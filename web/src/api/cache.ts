// Query keys, and the pure reducers that apply events and action results to
// the cached lists. They keep the identity of every item that did not
// change, so memoised cards skip re-rendering.

import type { Host, Operation, VM } from './types';
import { normalizeVM } from '../lib/vm';

export const qk = {
  session: ['session'] as const,
  hosts: ['hosts'] as const,
  vms: ['vms'] as const,
  operations: ['operations'] as const,
  snapshots: (host: string, uuid: string) => ['snapshots', host, uuid] as const,
  sessions: ['sessions'] as const,
  audit: ['audit'] as const,
};

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

/** Inserts or replaces an operation, newest first. */
export function upsertOperation(list: readonly Operation[] | undefined, op: Operation): Operation[] {
  const prev = list ?? [];
  const i = prev.findIndex((o) => o.id === op.id);
  if (i >= 0) {
    const old = prev[i];
    // A finished operation never goes back to running (events may race the 202 answer).
    if (old && old.state !== 'running' && op.state === 'running') return prev as Operation[];
    const next = prev.slice();
    next[i] = op;
    return next;
  }
  return [op, ...prev].sort((a, b) => Date.parse(b.started) - Date.parse(a.started));
}

/** Inserts or replaces a host, keeping the order the server gave. */
export function upsertHost(list: readonly Host[] | undefined, host: Host): Host[] {
  const prev = list ?? [];
  const i = prev.findIndex((h) => h.name === host.name);
  if (i < 0) return [...prev, host];
  const next = prev.slice();
  next[i] = host;
  return next;
}

/** The running operation of a VM, if any (the newest). */
export function runningOperationFor(ops: readonly Operation[] | undefined, host: string, uuid: string): Operation | undefined {
  return ops?.find((o) => o.state === 'running' && o.target.host === host && o.target.uuid === uuid);
}
