// A VM's hardware and its changes (GET/PUT .../hardware/..., .../xml). Each
// change answers where it applied (live, stored, at the next start) and the
// change to the stored definition as a line diff; the hooks write the VM
// into the cache and re-read the hardware before the caller's onSuccess.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, vmPath } from '../../api/client';
import type { VM } from '../../api/types';
import { putVM } from '../../resources/vm/cache';

export interface HwDisk {
  target: string;
  bus: string;
  device: string;
  source: string;
  format?: string;
  readOnly: boolean;
}
export interface HwNIC {
  mac: string;
  network?: string;
  bridge?: string;
  type: string;
  model: string;
  linkUp: boolean;
}
export interface Hardware {
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  disks: HwDisk[];
  nics: HwNIC[];
  boot: string[];
  firmware: string;
  secureBoot: boolean;
  machine: string;
  directKernel: boolean;
  graphics: { type: string; listen?: string; password: boolean }[];
  tpm?: { model: string; backend: string; version?: string };
  title: string;
  description: string;
}
export interface HardwareView {
  running: boolean;
  autostart: boolean;
  stored: Hardware;
  live?: Hardware;
}
export interface HardwareResult {
  message: string;
  live: boolean;
  config: boolean;
  effectiveAtNextStart: boolean;
  changes: string;
  vm: VM;
  saved?: boolean;
  target?: string;
  mac?: string;
}
export interface DomainXML {
  stored: string;
  live?: string;
}

type VMRef = Pick<VM, 'host' | 'uuid'>;

export const hardwareKey = (vm: VMRef) => ['hardware', vm.host, vm.uuid] as const;
export const domainXMLKey = (vm: VMRef) => ['domain-xml', vm.host, vm.uuid] as const;

export function useHardware(vm: VMRef) {
  return useQuery({
    queryKey: hardwareKey(vm),
    queryFn: ({ signal }) => api<HardwareView>(`${vmPath(vm.host, vm.uuid)}/hardware`, { signal }),
  });
}

export function useDomainXML(vm: VMRef, enabled: boolean) {
  return useQuery({
    queryKey: domainXMLKey(vm),
    queryFn: ({ signal }) => api<DomainXML>(`${vmPath(vm.host, vm.uuid)}/xml`, { signal }),
    enabled,
  });
}

/** One hardware change: method and path (below .../hardware, or "xml") with its body. */
export interface HardwareChange {
  method: 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** What the toast calls it. */
  what: string;
}

export function useHardwareChange(vm: VMRef, onDone: (res: HardwareResult, change: HardwareChange) => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (ch: HardwareChange) => {
      const base = ch.path === 'xml' ? `${vmPath(vm.host, vm.uuid)}/xml` : `${vmPath(vm.host, vm.uuid)}/hardware${ch.path}`;
      return api<HardwareResult>(base, { method: ch.method, body: ch.body });
    },
    async onSuccess(res, ch) {
      putVM(qc, res.vm);
      await Promise.all([qc.invalidateQueries({ queryKey: hardwareKey(vm) }), qc.invalidateQueries({ queryKey: domainXMLKey(vm) })]);
      onDone(res, ch);
    },
  });
}

/** Where a change applied, in words. */
export function whereApplied(r: Pick<HardwareResult, 'live' | 'effectiveAtNextStart' | 'saved'>): string {
  if (r.saved === false) return 'checked, not saved';
  if (r.live && !r.effectiveAtNextStart) return 'applied now';
  if (r.live) return 'partly now, the rest at the next start';
  if (r.effectiveAtNextStart) return 'at the next start';
  return 'saved';
}
