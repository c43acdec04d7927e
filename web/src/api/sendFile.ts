// Sends a file as a request body with upload progress (XMLHttpRequest:
// fetch reports no upload progress). Volume uploads and VM imports use it;
// cancel aborts the request, and the server removes what it had begun.

import { ApiError, currentCsrfToken } from './client';

/** A running transfer: the server's answer, and a way to stop it. */
export interface Sending<T> {
  /** Resolves with the server's answer, or rejects (ApiError; AbortError when canceled). */
  done: Promise<T>;
  cancel: () => void;
}

/**
 * Sends file to path with method and contentType, reporting bytes sent.
 * what names the transfer in errors ("upload" gives the code
 * upload_failed and "The upload failed (HTTP …).").
 */
export function sendFile<T>(
  method: string,
  path: string,
  contentType: string,
  file: Blob,
  what: string,
  onProgress: (sent: number, total: number) => void,
): Sending<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open(method, path);
    xhr.setRequestHeader('Content-Type', contentType);
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
        resolve(body as T);
        return;
      }
      const e = (body as { error?: { code: string; message: string; hint?: string } } | undefined)?.error;
      reject(new ApiError(xhr.status, e ?? { code: `${what}_failed`, message: `The ${what} failed (HTTP ${xhr.status}).` }));
    };
    xhr.onerror = () => reject(new ApiError(0, { code: 'unreachable', message: `The ${what} was cut off: the server could not be reached.` }));
    xhr.onabort = () => reject(new DOMException(`The ${what} was canceled.`, 'AbortError'));
    xhr.send(file);
  });
  return { done, cancel: () => xhr.abort() };
}
