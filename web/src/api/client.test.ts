import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, parseRetryAfter, setCsrfToken, setForbiddenHandler, setUnauthorizedHandler, vmPath } from './client';

function mockFetch(status: number, body: unknown, contentType = 'application/json') {
  const fn = vi.fn(() =>
    Promise.resolve(new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': contentType } })),
  );
  vi.stubGlobal('fetch', fn);
  return fn;
}

describe('api', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    setCsrfToken(null);
    setUnauthorizedHandler(null);
    setForbiddenHandler(null);
  });

  it('sends the CSRF token on changes only', async () => {
    setCsrfToken('tok');
    const fn = mockFetch(200, { ok: true });
    await api('/api/v1/vms');
    await api('/api/v1/x', { method: 'POST', body: { a: 1 } });
    const get = fn.mock.calls[0] as unknown as [string, RequestInit];
    const post = fn.mock.calls[1] as unknown as [string, RequestInit];
    expect((get[1].headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
    expect((post[1].headers as Record<string, string>)['X-CSRF-Token']).toBe('tok');
    expect(post[1].body).toBe('{"a":1}');
  });

  it('turns the error envelope into an ApiError', async () => {
    mockFetch(409, { error: { code: 'vm_not_running', message: 'VM "db" is not running', hint: 'start it first' } });
    const err = await api('/api/v1/x', { method: 'POST' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'vm_not_running', message: 'VM "db" is not running', hint: 'start it first' });
  });

  it('explains errors without an envelope', async () => {
    mockFetch(500, 'oops', 'text/plain');
    const err = (await api('/x').catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('http_500');
    mockFetch(502, '');
    const bad = (await api('/x').catch((e: unknown) => e)) as ApiError;
    expect(bad.unreachable).toBe(true);
  });

  it('calls the unauthorized handler on 401 unless told not to', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    mockFetch(401, { error: { code: 'unauthorized', message: 'log in first' } });
    await api('/api/v1/vms').catch(() => undefined);
    expect(handler).toHaveBeenCalledTimes(1);
    // With the server's reason, e.g. a session ended by the cap on sessions per user.
    expect((handler.mock.calls[0]?.[0] as ApiError).code).toBe('unauthorized');
    await api('/api/v1/session', { quiet401: true }).catch(() => undefined);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('says the server is unreachable when fetch fails', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    const err = (await api('/api/v1/vms').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.unreachable).toBe(true);
    expect(err.message).toMatch(/cannot be reached/);
  });

  it('returns undefined for 204', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.resolve(new Response(null, { status: 204 }))));
    expect(await api('/api/v1/logout', { method: 'POST' })).toBeUndefined();
  });

  it('tells the app about a refusal for the role, and only that 403', async () => {
    const handler = vi.fn();
    setForbiddenHandler(handler);
    mockFetch(403, { error: { code: 'forbidden_role', message: 'viewers cannot start VMs', hint: 'ask an admin for the operator role' } });
    const err = (await api('/api/v1/x', { method: 'POST' }).catch((e: unknown) => e)) as ApiError;
    expect(err.forbiddenRole).toBe(true);
    expect(handler).toHaveBeenCalledWith(err);
    mockFetch(403, { error: { code: 'csrf', message: 'missing CSRF token' } });
    const other = (await api('/api/v1/x', { method: 'POST' }).catch((e: unknown) => e)) as ApiError;
    expect(other.forbiddenRole).toBe(false);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('reads Retry-After into the error', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        Promise.resolve(
          new Response('{"error":{"code":"too_many_attempts","message":"try again in 30 s"}}', {
            status: 429,
            headers: { 'Content-Type': 'application/json', 'Retry-After': '30' },
          }),
        ),
      ),
    );
    const err = (await api('/api/v1/login', { method: 'POST', quiet401: true }).catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ status: 429, code: 'too_many_attempts', retryAfter: 30 });
  });

  it.each([
    [null, undefined],
    ['', undefined],
    ['42', 42],
    [' 7 ', 7],
    ['-3', undefined],
    ['soon', undefined],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60],
    ['Thu, 01 Jan 2026 00:00:00 GMT', 0],
  ])('parseRetryAfter(%j) = %j', (value, want) => {
    expect(parseRetryAfter(value, Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(want);
  });

  it('encodes VM paths', () => {
    expect(vmPath('a b', 'u/1')).toBe('/api/v1/hosts/a%20b/vms/u%2F1');
  });
});
