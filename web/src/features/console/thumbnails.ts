// Console thumbnails for the dashboard's VM cards: a small screenshot the
// server captures (rate-limited and cached there). A card on screen asks
// for it once, and again only when the server announces a new picture (a
// "thumbnail" event for the VMs the page watches, thumbnailWatch.ts), with
// If-None-Match so that a picture already held costs a 304 (the server's
// ETag is a hash of the picture). No polling, nothing for cards off screen
// or a hidden page. No noVNC here: this is in the first page.

import { vmPath } from '../../api/client';

/**
 * After an error other than "busy" (a failed or cut request, a 5xx): ask
 * again after THUMB_RETRY_MS, doubling with each error in a row up to
 * THUMB_ERROR_MS. The first retry is quick: a request that failed once (the
 * server's capture canceled, a connection dropped) usually works at once.
 */
export const THUMB_RETRY_MS = 1_000;
export const THUMB_ERROR_MS = 30_000;

/** A thumbnail held in this page. */
export interface ThumbEntry {
  etag: string;
  blob: Blob;
  /** When the server captured it (ms since the epoch), if it said. */
  taken?: number | undefined;
}

/**
 * The last thumbnail of each VM, so that a card scrolled back into view
 * shows its picture at once and asks with its ETag. Bounded: the least
 * recently used entries go first.
 */
export class ThumbnailCache {
  private readonly map = new Map<string, ThumbEntry>();

  /** onDrop is called with every entry the cache lets go of (replaced, evicted or deleted). */
  constructor(
    private readonly max = 200,
    private readonly onDrop: (e: ThumbEntry) => void = () => undefined,
  ) {}

  get(key: string): ThumbEntry | undefined {
    const e = this.map.get(key);
    if (e) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e;
  }

  set(key: string, e: ThumbEntry): void {
    const old = this.map.get(key);
    this.map.delete(key);
    this.map.set(key, e);
    if (old && old !== e) this.onDrop(old);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (!old) return;
    this.map.delete(key);
    this.onDrop(old);
  }

  get size(): number {
    return this.map.size;
  }
}

export type ThumbOutcome =
  /** A newer thumbnail. */
  | { kind: 'new'; entry: ThumbEntry }
  /** 304: the one held is current. */
  | { kind: 'same' }
  /** 503 thumbnail_busy: ask again after retryMs. */
  | { kind: 'busy'; retryMs: number }
  /** 409/404: the VM does not run (or is gone): stop asking. */
  | { kind: 'stopped' }
  /** Anything else: try again later. */
  | { kind: 'error'; status: number };

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Reads Retry-After (seconds) as ms, between 1 s and 60 s; 2 s when missing. */
export function retryAfterMs(header: string | null): number {
  const s = header ? Number(header) : NaN;
  if (!Number.isFinite(s)) return 2000;
  return Math.min(60_000, Math.max(1000, Math.round(s * 1000)));
}

/** Asks the server for a VM's thumbnail, with the ETag of the one held. */
export async function fetchThumbnail(host: string, uuid: string, etag: string | undefined, signal: AbortSignal, fetchFn: FetchLike = fetch): Promise<ThumbOutcome> {
  const headers: Record<string, string> = { Accept: 'image/png' };
  if (etag) headers['If-None-Match'] = etag;
  let res: Response;
  try {
    // no-store: the browser's cache would turn a 304 into a 200 we cannot tell apart.
    res = await fetchFn(`${vmPath(host, uuid)}/thumbnail`, { headers, credentials: 'same-origin', cache: 'no-store', signal });
  } catch (err) {
    // Only our own abort ends the asking; any other failure (also an
    // AbortError the browser raised itself) is an error to retry.
    if (signal.aborted) throw err;
    return { kind: 'error', status: 0 };
  }
  if (res.status === 304) return { kind: 'same' };
  if (res.ok) {
    let blob: Blob;
    try {
      blob = await res.blob();
    } catch (err) {
      if (signal.aborted) throw err;
      return { kind: 'error', status: 0 }; // the body was cut off
    }
    const lm = res.headers.get('Last-Modified');
    const taken = lm ? Date.parse(lm) : NaN;
    return { kind: 'new', entry: { etag: res.headers.get('ETag') ?? '', blob, taken: Number.isFinite(taken) ? taken : undefined } };
  }
  if (res.status === 503) return { kind: 'busy', retryMs: retryAfterMs(res.headers.get('Retry-After')) };
  if (res.status === 409 || res.status === 404) return { kind: 'stopped' };
  return { kind: 'error', status: res.status };
}

/**
 * How long to wait before asking again after an outcome; null: not until
 * the server says the picture changed (new, same), or never (stopped).
 * errors is how many errors in a row there were, this one included.
 */
export function nextDelay(o: ThumbOutcome, errors = 1): number | null {
  switch (o.kind) {
    case 'new':
    case 'same':
    case 'stopped':
      return null;
    case 'busy':
      return o.retryMs;
    case 'error':
      return Math.min(THUMB_ERROR_MS, THUMB_RETRY_MS * 2 ** Math.min(15, Math.max(0, errors - 1)));
  }
}

/** What a card does with what followThumbnail learns. */
export interface ThumbListener {
  /** A newer thumbnail arrived. */
  onNew(entry: ThumbEntry): void;
  /** The VM does not run (or is gone): the follower has stopped. */
  onStopped(): void;
}

/** What followThumbnail uses from its surroundings (tests pass their own). */
export interface ThumbFollowDeps {
  /**
   * Tells the server this card is on screen and calls back with each ETag
   * the server announces for the VM (thumbnailWatch.ts); returns the
   * function that ends it.
   */
  watch: (onETag: (etag: string) => void) => () => void;
  fetchFn?: FetchLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

/**
 * Keeps a card's thumbnail current while it is on screen, without polling:
 * it asks once when the card holds no picture yet, then only when the
 * server announces an ETag other than the one held (etag()), with
 * If-None-Match so that a picture already held costs a 304. A failed or
 * busy request is retried (nextDelay); only the returned stop function and
 * a VM that does not run end it.
 */
export function followThumbnail(host: string, uuid: string, etag: () => string | undefined, on: ThumbListener, deps: ThumbFollowDeps): () => void {
  const fetchFn = deps.fetchFn ?? ((input: string, init: RequestInit) => fetch(input, init));
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => window.setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((t: unknown) => window.clearTimeout(t as number));
  const ac = new AbortController();
  let timer: unknown;
  let errors = 0;
  let busy = false;
  /** The newest ETag the server announced while a request was under way (set by the watch callback). */
  const pending: { etag?: string | undefined } = {};
  const announced = () => pending.etag;
  const run = async () => {
    busy = true;
    pending.etag = undefined;
    let o: ThumbOutcome;
    try {
      o = await fetchThumbnail(host, uuid, etag(), ac.signal, fetchFn);
    } catch {
      if (ac.signal.aborted) return; // stopped
      o = { kind: 'error', status: 0 };
    }
    busy = false;
    if (ac.signal.aborted) return;
    errors = o.kind === 'error' ? errors + 1 : 0;
    if (o.kind === 'new') on.onNew(o.entry);
    if (o.kind === 'stopped') {
      unwatch();
      on.onStopped();
      return;
    }
    const d = nextDelay(o, errors);
    if (d !== null) {
      timer = setTimer(() => {
        timer = undefined;
        void run();
      }, d);
      return;
    }
    const e = announced();
    if (e !== undefined && e !== etag()) void run(); // announced while this one was under way
  };
  const unwatch = deps.watch((e) => {
    if (ac.signal.aborted || e === etag()) return;
    pending.etag = e;
    if (!busy && timer === undefined) void run();
  });
  if (etag() === undefined) void run();
  return () => {
    ac.abort();
    clearTimer(timer);
    unwatch();
  };
}
