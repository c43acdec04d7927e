// The upload of a volume's content with progress (XMLHttpRequest: fetch
// reports no upload progress), which cancels by aborting the request (the
// server then removes the half volume).

import { sendFile } from '../../api/sendFile';
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
  return sendFile<UploadResult>('PUT', contentPath(host, pool, name), 'application/octet-stream', file, 'upload', onProgress);
}
