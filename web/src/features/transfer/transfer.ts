// Export and import of a VM with its snapshot tree (internal/snapexport):
// the export is a plain download (the browser shows its progress; the
// file's length is exact), the import an upload with progress that
// cancels by aborting the request (the server then removes what it wrote).

import { sendFile } from '../../api/sendFile';

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
  const a = document.createElement('a');
  a.href = exportPath(host, uuid, pause);
  a.download = exportFileName(vmName);
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Uploads an export file for import, reporting bytes sent. */
export function importVM(host: string, pool: string, name: string, file: Blob, onProgress: (sent: number, total: number) => void): Import {
  return sendFile<ImportResult>('POST', importPath(host, pool, name), 'application/x-tar', file, 'import', onProgress);
}
