import { describe, expect, it } from 'vitest';
import { fetchThumbnail, followThumbnail, nextDelay, retryAfterMs, THUMB_ERROR_MS, THUMB_RETRY_MS, ThumbnailCache, type ThumbEntry } from './thumbnails';

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

  it('passes its own abort on', async () => {
    const ac = new AbortController();
    ac.abort();
    const aborting = () => Promise.reject(new DOMException('aborted', 'AbortError'));
    await expect(fetchThumbnail('h', 'u', undefined, ac.signal, aborting)).rejects.toThrow('aborted');
  });

  it('takes an abort it did not ask for (the browser cut the request) as an error to retry', async () => {
    const aborting = () => Promise.reject(new DOMException('aborted', 'AbortError'));
    expect(await fetchThumbnail('h', 'u', undefined, signal, aborting)).toEqual({ kind: 'error', status: 0 });
  });

  it('takes a body cut off as an error to retry', async () => {
    const cut = () => Promise.resolve({ ok: true, status: 200, headers: new Headers(), blob: () => Promise.reject(new TypeError('network')) } as unknown as Response);
    expect(await fetchThumbnail('h', 'u', undefined, signal, cut)).toEqual({ kind: 'error', status: 0 });
  });
});

describe('pacing', () => {
  it('asks again only when told (new, same), waits as told when busy, stops for stopped VMs', () => {
    expect(nextDelay({ kind: 'same' })).toBeNull();
    expect(nextDelay({ kind: 'new', entry: { etag: '"t"', blob: new Blob() } })).toBeNull();
    expect(nextDelay({ kind: 'busy', retryMs: 2000 })).toBe(2000);
    expect(nextDelay({ kind: 'stopped' })).toBeNull();
    // Errors: a quick first retry, doubling while they go on, at most THUMB_ERROR_MS.
    expect(nextDelay({ kind: 'error', status: 500 })).toBe(THUMB_RETRY_MS);
    expect(nextDelay({ kind: 'error', status: 500 }, 1)).toBe(1000);
    expect(nextDelay({ kind: 'error', status: 0 }, 2)).toBe(2000);
    expect(nextDelay({ kind: 'error', status: 0 }, 4)).toBe(8000);
    expect(nextDelay({ kind: 'error', status: 0 }, 6)).toBe(THUMB_ERROR_MS);
    expect(nextDelay({ kind: 'error', status: 0 }, 1000)).toBe(THUMB_ERROR_MS);
    expect(retryAfterMs(null)).toBe(2000);
    expect(retryAfterMs('0')).toBe(1000);
    expect(retryAfterMs('999')).toBe(60_000);
    expect(retryAfterMs('soon')).toBe(2000);
  });
});

/** A follower's world: requests answered in order by answers, timers run by hand, announcements by announce. */
function followRig(answers: (() => Promise<Response>)[], held?: string) {
  const calls: { etag: string | undefined; signal: AbortSignal }[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const got: string[] = [];
  let stopped = 0;
  let etag: string | undefined = held;
  let announce: ((e: string) => void) | null = null;
  let unwatched = 0;
  const stop = followThumbnail(
    'local',
    'u-1',
    () => etag,
    {
      onNew(e: ThumbEntry) {
        etag = e.etag;
        got.push(e.etag);
      },
      onStopped() {
        stopped++;
      },
    },
    {
      watch: (fn) => {
        announce = fn;
        return () => {
          unwatched++;
          announce = null;
        };
      },
      fetchFn: (_url, init) => {
        const headers = init.headers as Record<string, string>;
        calls.push({ etag: headers['If-None-Match'], signal: init.signal as AbortSignal });
        const answer = answers.shift();
        if (!answer) return new Promise<Response>(() => undefined); // never answers
        return answer();
      },
      setTimer: (fn, ms) => {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimer: (t) => {
        if (t) (t as { cleared: boolean }).cleared = true;
      },
    },
  );
  /** Lets pending promises settle. */
  const settle = () => new Promise((r) => setTimeout(r, 0));
  /** Runs the one pending timer, checking its delay. */
  const fire = async (ms: number) => {
    await settle();
    const t = timers.at(-1);
    expect(t?.ms, 'delay of the next request').toBe(ms);
    expect(t?.cleared).toBe(false);
    t?.fn();
    await settle();
  };
  const tell = async (e: string) => {
    announce?.(e);
    await settle();
  };
  return { calls, timers, got, stop, fire, settle, tell, stoppedCount: () => stopped, unwatchedCount: () => unwatched };
}

const png = (etag: string) => () => Promise.resolve(new Response('png', { status: 200, headers: { ETag: etag } }));

describe('followThumbnail', () => {
  it('asks once for a card without a picture, then only when the server announces another one', async () => {
    const rig = followRig([png('"t1"'), png('"t2"')]);
    await rig.settle();
    expect(rig.got).toEqual(['"t1"']);
    // No timer: nothing is asked until the server says the picture changed.
    expect(rig.timers).toHaveLength(0);
    await rig.tell('"t1"'); // the one held: nothing
    expect(rig.calls).toHaveLength(1);
    await rig.tell('"t2"');
    expect(rig.calls).toHaveLength(2);
    expect(rig.calls[1]?.etag).toBe('"t1"'); // with the one held: a 304 if it is the same after all
    expect(rig.got).toEqual(['"t1"', '"t2"']);
    rig.stop();
    expect(rig.unwatchedCount()).toBe(1);
  });

  it('asks nothing for a card that holds a picture until told of another', async () => {
    const rig = followRig([() => Promise.resolve(new Response(null, { status: 304 }))], '"t0"');
    await rig.settle();
    expect(rig.calls).toHaveLength(0);
    await rig.tell('"t9"');
    expect(rig.calls).toHaveLength(1);
    expect(rig.calls[0]?.etag).toBe('"t0"');
    rig.stop();
  });

  it('asks again after an announcement that came while a request was under way', async () => {
    let answer: (r: Response) => void = () => undefined;
    const rig = followRig([() => new Promise<Response>((r) => (answer = r)), png('"t3"')]);
    await rig.settle();
    await rig.tell('"t3"');
    expect(rig.calls).toHaveLength(1); // one at a time
    answer(new Response('png', { status: 200, headers: { ETag: '"t2"' } }));
    await rig.settle();
    await rig.settle();
    expect(rig.got).toEqual(['"t2"', '"t3"']);
    rig.stop();
  });

  it('asks again within a second after a request failed, and gets the picture', async () => {
    // What the e2e test saw: the first answer was an error (the server's
    // shared capture had been canceled by a request that left); the card
    // must ask again soon.
    const rig = followRig([() => Promise.resolve(new Response('{}', { status: 500 })), png('"t1"')]);
    await rig.fire(THUMB_RETRY_MS);
    expect(rig.calls).toHaveLength(2);
    expect(rig.got).toEqual(['"t1"']);
    rig.stop();
  });

  it('asks again after a request the browser cut (an AbortError it did not ask for) or a network error', async () => {
    const rig = followRig([
      () => Promise.reject(new DOMException('The user aborted a request.', 'AbortError')),
      () => Promise.reject(new TypeError('Failed to fetch')),
      png('"t2"'),
    ]);
    await rig.fire(THUMB_RETRY_MS);
    await rig.fire(2 * THUMB_RETRY_MS); // the second error in a row waits longer
    expect(rig.got).toEqual(['"t2"']);
    rig.stop();
  });

  it('backs off while errors go on, and starts over after a success; an announcement does not double a pending retry', async () => {
    const err = () => Promise.resolve(new Response('', { status: 502 }));
    const rig = followRig([err, err, err, png('"t3"'), err, png('"t5"')]);
    await rig.fire(1000);
    await rig.tell('"tx"'); // a retry is already planned
    expect(rig.calls).toHaveLength(2);
    await rig.fire(2000);
    await rig.fire(4000);
    expect(rig.got).toEqual(['"t3"']);
    await rig.tell('"t5"');
    await rig.fire(1000);
    expect(rig.got).toEqual(['"t3"', '"t5"']);
    rig.stop();
  });

  it('stops for a VM that does not run, and when stopped', async () => {
    const rig = followRig([() => Promise.resolve(new Response('{}', { status: 409 }))]);
    await rig.settle();
    expect(rig.stoppedCount()).toBe(1);
    expect(rig.unwatchedCount()).toBe(1);
    expect(rig.timers).toHaveLength(0);

    const rig2 = followRig([() => Promise.resolve(new Response('', { status: 502 }))]);
    await rig2.settle();
    rig2.stop();
    expect(rig2.timers.at(-1)?.cleared).toBe(true);
    // A request under way when stopped is aborted, and nothing follows it.
    const rig3 = followRig([]);
    await rig3.settle();
    rig3.stop();
    expect(rig3.calls[0]?.signal.aborted).toBe(true);
    await rig3.settle();
    expect(rig3.timers).toHaveLength(0);
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
