import { describe, expect, it } from 'vitest';
import { fetchThumbnail, nextDelay, retryAfterMs, THUMB_ERROR_MS, THUMB_REFRESH_MS, ThumbnailCache } from './thumbnails';

function fakeFetch(status: number, headers: Record<string, string> = {}, body = 'png') {
  const calls: { url: string; init: RequestInit }[] = [];
  const fn = (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return Promise.resolve(new Response(status === 304 ? null : body, { status, headers }));
  };
  return { fn, calls };
}

describe('fetchThumbnail', () => {
  const signal = new AbortController().signal;

  it('asks with the ETag held, without the browser cache', async () => {
    const f = fakeFetch(304);
    expect(await fetchThumbnail('local', 'u-1', '"t1"', signal, f.fn)).toEqual({ kind: 'same' });
    expect(f.calls[0]?.url).toBe('/api/v1/hosts/local/vms/u-1/thumbnail');
    expect(f.calls[0]?.init.headers).toMatchObject({ 'If-None-Match': '"t1"' });
    expect(f.calls[0]?.init.cache).toBe('no-store');
  });

  it('returns a new thumbnail with its ETag and capture time', async () => {
    const f = fakeFetch(200, { ETag: '"t2"', 'Last-Modified': 'Thu, 26 Nov 2026 13:00:00 GMT', 'Content-Type': 'image/png' });
    const o = await fetchThumbnail('local', 'u-1', undefined, signal, f.fn);
    expect(o.kind).toBe('new');
    if (o.kind !== 'new') return;
    expect(o.entry.etag).toBe('"t2"');
    expect(o.entry.taken).toBe(Date.parse('2026-11-26T13:00:00Z'));
    expect(await o.entry.blob.text()).toBe('png');
    expect(f.calls[0]?.init.headers).not.toHaveProperty('If-None-Match');
  });

  it('honours busy, stops for VMs that do not run, and backs off on errors', async () => {
    expect(await fetchThumbnail('h', 'u', undefined, signal, fakeFetch(503, { 'Retry-After': '3' }).fn)).toEqual({ kind: 'busy', retryMs: 3000 });
    expect(await fetchThumbnail('h', 'u', undefined, signal, fakeFetch(409).fn)).toEqual({ kind: 'stopped' });
    expect(await fetchThumbnail('h', 'u', undefined, signal, fakeFetch(404).fn)).toEqual({ kind: 'stopped' });
    expect(await fetchThumbnail('h', 'u', undefined, signal, fakeFetch(502).fn)).toEqual({ kind: 'error', status: 502 });
    const failing = () => Promise.reject(new TypeError('network'));
    expect(await fetchThumbnail('h', 'u', undefined, signal, failing)).toEqual({ kind: 'error', status: 0 });
  });

  it('passes an abort on', async () => {
    const aborting = () => Promise.reject(new DOMException('aborted', 'AbortError'));
    await expect(fetchThumbnail('h', 'u', undefined, signal, aborting)).rejects.toThrow('aborted');
  });
});

describe('pacing', () => {
  it('refreshes every ~10 s, waits as told when busy, stops for stopped VMs', () => {
    expect(nextDelay({ kind: 'same' }, 0.5)).toBe(THUMB_REFRESH_MS);
    expect(nextDelay({ kind: 'same' }, 0)).toBe(THUMB_REFRESH_MS - 1000);
    expect(nextDelay({ kind: 'busy', retryMs: 2000 }, 0.5)).toBe(2000);
    expect(nextDelay({ kind: 'stopped' }, 0.5)).toBeNull();
    expect(nextDelay({ kind: 'error', status: 500 }, 0.5)).toBe(THUMB_ERROR_MS);
    expect(retryAfterMs(null)).toBe(2000);
    expect(retryAfterMs('0')).toBe(1000);
    expect(retryAfterMs('999')).toBe(60_000);
    expect(retryAfterMs('soon')).toBe(2000);
  });
});

describe('ThumbnailCache', () => {
  it('keeps the most recently used entries, and says which it drops', () => {
    const dropped: string[] = [];
    const c = new ThumbnailCache(2, (e) => dropped.push(e.etag));
    const e = (etag: string) => ({ etag, blob: new Blob([etag]) });
    c.set('a', e('1'));
    c.set('b', e('2'));
    expect(c.get('a')?.etag).toBe('1'); // a is now the most recent
    c.set('c', e('3'));
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.etag).toBe('1');
    expect(c.size).toBe(2);
    c.delete('a');
    expect(c.get('a')).toBeUndefined();
    c.set('c', e('4'));
    expect(dropped).toEqual(['2', '1', '3']);
  });
});
