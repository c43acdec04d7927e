// The storage API as the Storage page and a VM's CD-ROM drives use it:
// pools and volumes (read with TanStack Query, keyed by host and pool),
// their changes, and the upload with progress (XMLHttpRequest: fetch
// reports no upload progress), which cancels by aborting the request (the
// server then removes the half volume).

import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { api, ApiError, currentCsrfToken } from '../../api/client';
import type { Operation, Role } from '../../api/types';

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

const enc = encodeURIComponent;

export const poolsPath = (host: string): string => `/api/v1/hosts/${enc(host)}/pools`;
export const poolPath = (host: string, pool: string): string => `${poolsPath(host)}/${enc(pool)}`;
export const volumesPath = (host: string, pool: string): string => `${poolPath(host, pool)}/volumes`;
export const volumePath = (host: string, pool: string, vol: string): string => `${volumesPath(host, pool)}/${enc(vol)}`;
export const contentPath = (host: string, pool: string, vol: string): string => `${volumePath(host, pool, vol)}/content`;
export const cdromPath = (host: string, uuid: string, target: string): string =>
  `/api/v1/hosts/${enc(host)}/vms/${enc(uuid)}/cdrom/${enc(target)}`;

export const poolsQuery = (host: string) =>
  queryOptions({
    queryKey: ['storage', host, 'pools'],
    queryFn: async ({ signal }) => (await api<{ pools: Pool[] }>(poolsPath(host), { signal })).pools,
    enabled: host !== '',
  });

export const volumesQuery = (host: string, pool: string, enabled = true) =>
  queryOptions({
    queryKey: ['storage', host, 'volumes', pool],
    queryFn: async ({ signal }) => (await api<{ volumes: Volume[] }>(volumesPath(host, pool), { signal })).volumes,
    enabled: enabled && host !== '' && pool !== '',
  });

/** Re-reads a host's pools and volumes after a change. */
export function invalidateStorage(qc: QueryClient, host: string): Promise<void> {
  return qc.invalidateQueries({ queryKey: ['storage', host] });
}

/** The share of a pool in use, 0 to 100 (0 for a pool that reports no capacity). */
export function usedPercent(p: Pick<Pool, 'capacityBytes' | 'allocationBytes'>): number {
  if (!(p.capacityBytes > 0)) return 0;
  return Math.min(100, Math.max(0, Math.round((p.allocationBytes / p.capacityBytes) * 100)));
}

/** The bar's tone: fuller pools warn. */
export function fillTone(percent: number): 'ok' | 'warn' | 'bad' {
  return percent >= 90 ? 'bad' : percent >= 75 ? 'warn' : 'ok';
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether role is need or above. */
export function atLeast(role: Role | undefined, need: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[need];
}

/**
 * Checks a size as the server reads it, to say so before sending: whole
 * bytes, or a whole number of KiB, MiB, GiB or TiB. Returns the problem,
 * or null when the size reads.
 */
export function sizeProblem(s: string): string | null {
  const v = s.trim();
  if (v === '') return 'Give a size, e.g. 20GiB.';
  if (/^\d+$/.test(v)) return Number(v) > 0 ? null : 'The size must be more than 0.';
  const m = /^(\d+)\s*(KiB|MiB|GiB|TiB)$/.exec(v);
  if (!m) return /^\d+(\.\d+)?\s*[KMGT]B?$/i.test(v) ? 'Use binary units: MiB, GiB or TiB (12 GB is ambiguous).' : 'Use a number with MiB, GiB or TiB, e.g. 20GiB.';
  return Number(m[1]) > 0 ? null : 'The size must be more than 0.';
}

/** A running upload: its progress, and a way to stop it. */
export interface Upload {
  /** Resolves with the server's answer, or rejects (ApiError; AbortError when canceled). */
  done: Promise<UploadResult>;
  cancel: () => void;
}

/**
 * Uploads a file as a new volume's content, reporting bytes sent. Cancel
 * aborts the request: the server stops the upload and removes the volume.
 */
export function uploadVolume(host: string, pool: string, name: string, file: Blob, onProgress: (sent: number, total: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<UploadResult>((resolve, reject) => {
    xhr.open('PUT', contentPath(host, pool, name));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    const csrf = currentCsrfToken();
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as UploadResult);
        return;
      }
      const e = (body as { error?: { code: string; message: string; hint?: string } } | undefined)?.error;
      reject(new ApiError(xhr.status, e ?? { code: 'upload_failed', message: `The upload failed (HTTP ${xhr.status}).` }));
    };
    xhr.onerror = () => reject(new ApiError(0, { code: 'unreachable', message: 'The upload was cut off: the server could not be reached.' }));
    xhr.onabort = () => reject(new DOMException('The upload was canceled.', 'AbortError'));
    xhr.send(file);
  });
  return { done, cancel: () => xhr.abort() };
}

/** Starts a clone: the server answers 202 with the operation. */
export function startClone(host: string, pool: string, vol: string, name: string): Promise<Operation> {
  return api<Operation>(`${volumePath(host, pool, vol)}/clone`, { method: 'POST', body: { name } });
}
