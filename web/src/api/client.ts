// The one fetch wrapper of the app: JSON in and out, the CSRF header on
// every change, 401 → back to the login page, 403 forbidden_role → told to
// the app (a toast; the role may have changed), and the server's error
// envelope turned into a typed ApiError.

import type { ErrorBody } from './types';

/** An error from the API, or from failing to reach it (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
  /** Seconds to wait before trying again (the Retry-After header of a 429 or 503), when the server said. */
  readonly retryAfter: number | undefined;

  constructor(status: number, body: ErrorBody, retryAfter?: number) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.hint = body.hint;
    this.retryAfter = retryAfter;
  }

  /** Whether the caller's role may not do this (the server's 403 forbidden_role). */
  get forbiddenRole(): boolean {
    return this.status === 403 && this.code === 'forbidden_role';
  }

  /** Whether the server could not be reached at all. */
  get unreachable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 504;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: ((err: ApiError) => void) | null = null;
let onForbidden: ((err: ApiError) => void) | null = null;

/** Sets the CSRF token sent on every non-GET request (null after logout). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The CSRF token for requests made without api() (an upload with progress, over XMLHttpRequest). */
export function currentCsrfToken(): string | null {
  return csrfToken;
}

/** Sets what happens when a request answers 401 (the session ended); the error says why. */
export function setUnauthorizedHandler(fn: ((err: ApiError) => void) | null): void {
  onUnauthorized = fn;
}

/** Sets what happens when a request is refused for the caller's role (403 forbidden_role). */
export function setForbiddenHandler(fn: ((err: ApiError) => void) | null): void {
  onForbidden = fn;
}

/**
 * Reads a Retry-After header: delay-seconds, or an HTTP date (relative to
 * now). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  // An HTTP date names its day and month ("Thu, 01 Jan 2026 …"); Date.parse would take "-3" for a year.
  if (!/^[A-Za-z]{3}, /.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, Math.ceil((t - now) / 1000));
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
  return new ApiError(res.status, body, parseRetryAfter(res.headers.get('Retry-After')));
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
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.(err);
    if (err.forbiddenRole) onForbidden?.(err);
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
