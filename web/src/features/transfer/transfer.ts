// Export and import of a VM with its snapshot tree (internal/snapexport):
// the export is a plain download (the browser shows its progress; the
// file's length is exact), the import an upload with progress that
// cancels by aborting the request (the server then removes what it wrote).

import { api } from '../../api/client';
import { sendFile } from '../../api/sendFile';
import type { Operation } from '../../api/types';

const enc = encodeURIComponent;

/** The download address of a VM's export file; pause lets the server pause a running VM for it. */
export function exportPath(host: string, uuid: string, pause: boolean): string {
  return `/api/v1/hosts/${enc(host)}/vms/${enc(uuid)}/export${pause ? '?pause=true' : ''}`;
}

/** The import address: pool receives the disks; a name renames the VM (new UUID and MACs). */
export function importPath(host: string, pool: string, name: string): string {
  const q = new URLSearchParams({ pool });
  if (name !== '') q.set('name', name);
  return `/api/v1/hosts/${enc(host)}/import?${q.toString()}`;
}

/** What an import answers. */
export interface ImportResult {
  name: string;
  uuid: string;
  host: string;
  renamed: boolean;
  snapshots: number;
  current?: string;
  bytes: number;
  from: { name: string; uuid: string };
}

/** A running import: its answer, and a way to stop it. */
export interface Import {
  done: Promise<ImportResult>;
  cancel: () => void;
}

/** The export file's name for a VM (the server suggests the same, with a date; Chromium keeps the link's). */
export function exportFileName(vmName: string): string {
  const n = vmName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|[._]+$/g, '');
  return `${n === '' ? 'vm' : n}.kvmexport.tar`;
}

/** Starts the download of a VM's export file. */
export function startExport(host: string, uuid: string, vmName: string, pause: boolean): void {
  download(exportPath(host, uuid, pause), exportFileName(vmName));
}

/** Uploads an export file for import, reporting bytes sent. */
export function importVM(host: string, pool: string, name: string, file: Blob, onProgress: (sent: number, total: number) => void): Import {
  return sendFile<ImportResult>('POST', importPath(host, pool, name), 'application/x-tar', file, 'import', onProgress);
}

/** Where an export goes: a download, or a new volume of a pool on the VM's host. */
export type Destination = { kind: 'download' } | { kind: 'pool'; pool: string; volume: string };

/** The body of an export into a pool (POST …/export). */
export function exportToPoolBody(pool: string, volume: string, pause: boolean): { pool: string; volume: string; pause: boolean } {
  return { pool, volume, pause };
}

/** Starts an export of the VM into a pool: an operation (vm-export). */
export function exportToPool(host: string, uuid: string, pool: string, volume: string, pause: boolean): Promise<Operation> {
  return api<Operation>(exportPath(host, uuid, false), { method: 'POST', body: exportToPoolBody(pool, volume, pause) });
}

/** What a snapshot's disk export is asked for. */
export interface DiskExport {
  disk: string;
  format: 'qcow2' | 'raw';
}

/** The address of one snapshot's disk image (GET downloads it, POST writes it into a pool). */
export function exportDiskPath(host: string, uuid: string, snapshot: string, opts?: DiskExport): string {
  const base = `/api/v1/hosts/${enc(host)}/vms/${enc(uuid)}/snapshots/${enc(snapshot)}/export-disk`;
  if (opts === undefined) return base;
  const q = new URLSearchParams();
  if (opts.disk !== '') q.set('disk', opts.disk);
  if (opts.format !== 'qcow2') q.set('format', opts.format);
  const s = q.toString();
  return s === '' ? base : `${base}?${s}`;
}

/** The suggested file (and volume) name of a snapshot's disk image, safe as a volume name. */
export function diskFileName(vmName: string, snapshot: string, disk: string, format: string): string {
  const n = `${vmName}-${snapshot}-${disk === '' ? 'disk' : disk}`.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|[._]+$/g, '');
  return `${n === '' ? 'disk' : n}.${format}`;
}

/** Starts the download of a snapshot's disk (the server makes the image first, then sends it). */
export function startDiskDownload(host: string, uuid: string, vmName: string, snapshot: string, opts: DiskExport): void {
  download(exportDiskPath(host, uuid, snapshot, opts), diskFileName(vmName, snapshot, opts.disk, opts.format));
}

/** Starts writing a snapshot's disk into a new volume: an operation (snapshot-export-disk). */
export function exportDiskToPool(host: string, uuid: string, snapshot: string, opts: DiskExport, pool: string, volume: string): Promise<Operation> {
  return api<Operation>(exportDiskPath(host, uuid, snapshot), { method: 'POST', body: { disk: opts.disk, format: opts.format, pool, volume } });
}

function download(href: string, name: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
