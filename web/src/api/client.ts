// The one fetch wrapper of the app: JSON in and out, the CSRF header on
// every change, 401 → back to the login page, and the server's error
// envelope turned into a typed ApiError.

import type { ErrorBody } from './types';

/** An error from the API, or from failing to reach it (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.hint = body.hint;
  }

  /** Whether the server could not be reached at all. */
  get unreachable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 504;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** Sets the CSRF token sent on every non-GET request (null after logout). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Sets what happens when a request answers 401 (the session ended). */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Do not call the unauthorized handler on 401 (login and session checks). */
  quiet401?: boolean;
}

export const unreachableError = (): ApiError =>
  new ApiError(0, {
    code: 'unreachable',
    message: 'The KVM Manager server cannot be reached',
    hint: 'check that it is running; this page reconnects by itself when it is back',
  });

/** Parses an error response into the server's envelope, or a generic one. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: ErrorBody | undefined;
  try {
    const json: unknown = await res.json();
    if (typeof json === 'object' && json !== null && 'error' in json) {
      const e = (json).error;
      if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') {
        const o = e as Partial<ErrorBody>;
        body = { code: o.code ?? 'error', message: o.message ?? '', hint: o.hint };
      }
    }
  } catch {
    // not JSON: fall through
  }
  if (!body) {
    if (res.status === 502 || res.status === 504) {
      return new ApiError(res.status, {
        code: 'unreachable',
        message: 'The KVM Manager server cannot be reached',
        hint: 'check that it is running',
      });
    }
    body = { code: `http_${res.status}`, message: `The server answered ${res.status} ${res.statusText}`.trim() };
  }
  return new ApiError(res.status, body);
}

/** Performs an API request and returns the decoded JSON (undefined for 204). */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw unreachableError();
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Encodes a VM's API path. */
export function vmPath(host: string, uuid: string): string {
  return `/api/v1/hosts/${encodeURIComponent(host)}/vms/${encodeURIComponent(uuid)}`;
}
