// A VM's disk usage (GET …/disk-usage): its disks' chains of images, what
// each snapshot holds and frees, and whether a merge or compaction is
// possible now. Read under the snapshots' key prefix, so that every
// `snapshot` event re-reads it with the list.

import { queryOptions } from '@tanstack/react-query';
import { api, vmPath } from '../../api/client';
import type { Operation, SnapshotCapability as Capability, SnapshotSize as SizeFigure } from '../../api/types';
import { qk } from '../../resources/keys';

export interface UsageLayer {
  file: string;
  format: string;
  role: 'active' | 'overlay' | 'base';
  snapshot?: string;
  virtualSize?: number;
  allocation: SizeFigure;
  required?: number;
  snapshotsHold?: number;
  internalSnapshots: { name: string; vmStateBytes: number }[];
}

export interface DiskUsage {
  host: string;
  uuid: string;
  vm: string;
  vmState: string;
  total: number;
  unknown?: string;
  disks: { target: string; allocation: number; layers: UsageLayer[] }[];
  snapshots: { name: string; location: string; holds: SizeFigure; frees: SizeFigure; note?: string }[];
  merge: Capability & {
    offline: boolean;
    mayCancel: boolean;
    forget: string[];
    disks: { target: string; base: string; overlays: string[]; snapshots: string[] }[];
    /** Whether a merge by pull is possible now (beyond the shared checks), and why not. */
    pull?: { possible: boolean; reason?: string };
  };
  mergeFrees?: number;
  compact: Capability & { images: string[] };
}

export interface MergeResult {
  mode: MergeMode;
  forgotten: string[];
  removed: string[];
  /** Base images a pull left untouched (the VM no longer uses them). */
  kept: string[];
  offline: boolean;
}

/** commit: the overlays go down into the base; pull: everything goes up into the newest overlay. */
export type MergeMode = 'commit' | 'pull';

export interface CompactResult {
  before: number;
  after: number;
  images: { file: string; before: number; after: number; snapshots: string[]; sha256: string }[];
}

export function usagePath(host: string, uuid: string): string {
  return `${vmPath(host, uuid)}/disk-usage`;
}

export function usageQuery(host: string, uuid: string, vmState: string) {
  return queryOptions({
    // The VM's state is in the key: merge and compaction depend on it.
    queryKey: [...qk.snapshots(host, uuid), 'disk-usage', vmState] as const,
    queryFn: () => api<DiskUsage>(usagePath(host, uuid)),
    retry: false,
  });
}

export function startMerge(host: string, uuid: string, mode: MergeMode = 'commit'): Promise<Operation> {
  return api<Operation>(`${usagePath(host, uuid)}/merge`, { method: 'POST', body: { mode } });
}

export function startCompact(host: string, uuid: string): Promise<Operation> {
  return api<Operation>(`${usagePath(host, uuid)}/compact`, { method: 'POST' });
}

/** The file name of a path, for tables. */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}
