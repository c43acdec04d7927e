// Storage pools and volumes as the server sends them, their API paths, and
// pure facts about them (how full a pool is).

/** A storage pool (GET /api/v1/hosts/{host}/pools). */
export interface Pool {
  host: string;
  name: string;
  uuid: string;
  type: string;
  path?: string;
  state: 'running' | 'inactive' | 'building' | 'degraded' | 'inaccessible' | 'unknown';
  capacityBytes: number;
  allocationBytes: number;
  availableBytes: number;
  autostart: boolean;
  /** Directory pools; others are listed read-only. */
  managed: boolean;
}

/** A VM using a volume. */
export interface VolumeUser {
  uuid: string;
  name: string;
  disk: string;
}

/** A volume (GET …/pools/{pool}/volumes). */
export interface Volume {
  host: string;
  pool: string;
  name: string;
  path: string;
  format: string;
  capacityBytes: number;
  allocationBytes: number;
  physicalBytes: number;
  usedBy: VolumeUser[];
}

/** A CD-ROM drive after a change. */
export interface Media {
  target: string;
  source: string;
  live: boolean;
  config: boolean;
}

/** What an upload answers. */
export interface UploadResult {
  volume: Volume;
  sha256: string;
  bytes: number;
  seconds: number;
}

/** What a resize answers: the volume, and the running VM it grew through (if any). */
export interface ResizeResult {
  volume: Volume;
  online?: { name: string; disk: string };
}

export type PoolAction = 'start' | 'stop' | 'refresh' | 'delete';

const enc = encodeURIComponent;

export const poolsPath = (host: string): string => `/api/v1/hosts/${enc(host)}/pools`;
export const poolPath = (host: string, pool: string): string => `${poolsPath(host)}/${enc(pool)}`;
export const volumesPath = (host: string, pool: string): string => `${poolPath(host, pool)}/volumes`;
export const volumePath = (host: string, pool: string, vol: string): string => `${volumesPath(host, pool)}/${enc(vol)}`;
export const contentPath = (host: string, pool: string, vol: string): string => `${volumePath(host, pool, vol)}/content`;
export const cdromPath = (host: string, uuid: string, target: string): string =>
  `/api/v1/hosts/${enc(host)}/vms/${enc(uuid)}/cdrom/${enc(target)}`;

/** The share of a pool in use, 0 to 100 (0 for a pool that reports no capacity). */
export function usedPercent(p: Pick<Pool, 'capacityBytes' | 'allocationBytes'>): number {
  if (!(p.capacityBytes > 0)) return 0;
  return Math.min(100, Math.max(0, Math.round((p.allocationBytes / p.capacityBytes) * 100)));
}

/** The bar's tone: fuller pools warn. */
export function fillTone(percent: number): 'ok' | 'warn' | 'bad' {
  return percent >= 90 ? 'bad' : percent >= 75 ? 'warn' : 'ok';
}
