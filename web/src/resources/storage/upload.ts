// The upload of a volume's content with progress (XMLHttpRequest: fetch
// reports no upload progress), which cancels by aborting the request (the
// server then removes the half volume).

import { ApiError, currentCsrfToken } from '../../api/client';
import { contentPath, type UploadResult } from './model';

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
