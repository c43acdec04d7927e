// Which thumbnails this page shows, told to the server so that it keeps
// them fresh and announces each new picture (a "thumbnail" event) instead
// of every card polling. One request names all the cards on screen: when a
// card appears (gathered for a moment, so that a scroll makes one request)
// and again before the server's watch lapses, only while the page is
// visible and some card is on screen. A hidden page renews nothing, so the
// server stops capturing for it within a minute.

/** A VM's thumbnail as the server knows it. */
export interface ThumbState {
  host: string;
  uuid: string;
  /** Absent before the server's first capture. */
  etag?: string | undefined;
}

/** The answer of POST /api/v1/thumbnails/watch. */
export interface WatchAnswer {
  thumbnails?: ThumbState[] | null;
  /** How long the server keeps the VMs watched. */
  watchSeconds?: number;
}

/** What a ThumbnailWatcher uses from its surroundings (tests pass their own). */
export interface WatcherDeps {
  post: (vms: { host: string; uuid: string }[]) => Promise<WatchAnswer>;
  /** Whether the page is visible (document.visibilityState). */
  visible: () => boolean;
  /** Calls fn when the page's visibility changes; returns the function that stops it. */
  onVisibility: (fn: () => void) => () => void;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (t: unknown) => void;
  /** How long new cards are gathered before the request (default 200 ms). */
  gatherMs?: number;
}

const keyOf = (host: string, uuid: string) => `${host}/${uuid}`;

export class ThumbnailWatcher {
  private readonly cards = new Map<string, { host: string; uuid: string; listeners: Set<(etag: string) => void> }>();
  private timer: unknown;
  private timerDue = 0;
  private inFlight = false;
  /** A card appeared while a request was under way: send again after it. */
  private again = false;
  private renewMs = 30_000;
  private stopVisibility: (() => void) | null = null;
  private readonly gatherMs: number;

  constructor(private readonly deps: WatcherDeps) {
    this.gatherMs = deps.gatherMs ?? 200;
  }

  /** How many VMs are watched now. */
  get size(): number {
    return this.cards.size;
  }

  /**
   * Watches a VM's thumbnail while its card is on screen: onETag hears every
   * ETag the server announces for it. Returns the function that ends it.
   */
  watch(host: string, uuid: string, onETag: (etag: string) => void): () => void {
    const key = keyOf(host, uuid);
    let card = this.cards.get(key);
    if (!card) {
      card = { host, uuid, listeners: new Set() };
      this.cards.set(key, card);
      this.schedule(this.gatherMs);
    }
    card.listeners.add(onETag);
    this.stopVisibility ??= this.deps.onVisibility(() => this.visibilityChanged());
    return () => {
      const c = this.cards.get(key);
      if (!c) return;
      c.listeners.delete(onETag);
      if (c.listeners.size > 0) return;
      this.cards.delete(key);
      if (this.cards.size === 0) this.idle();
    };
  }

  /** A "thumbnail" event: the server has a new picture of a VM. */
  changed(s: ThumbState): void {
    if (!s.etag) return;
    const card = this.cards.get(keyOf(s.host, s.uuid));
    if (!card) return;
    for (const l of [...card.listeners]) l(s.etag);
  }

  /** Nothing on screen: no renewals, and no visibility listener. */
  private idle(): void {
    this.deps.clearTimer(this.timer);
    this.timer = undefined;
    this.stopVisibility?.();
    this.stopVisibility = null;
  }

  private visibilityChanged(): void {
    if (this.deps.visible()) this.schedule(0);
    else {
      this.deps.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  /** Sends within ms (an earlier send already planned stays). */
  private schedule(ms: number): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const due = Date.now() + ms;
    if (this.timer !== undefined && this.timerDue <= due) return;
    this.deps.clearTimer(this.timer);
    this.timerDue = due;
    this.timer = this.deps.setTimer(() => {
      this.timer = undefined;
      void this.send();
    }, ms);
  }

  /** Whether cards appeared while the last request was under way (set by schedule meanwhile). */
  private cardsAppeared(): boolean {
    return this.again;
  }

  private async send(): Promise<void> {
    if (this.cards.size === 0 || !this.deps.visible()) return;
    this.inFlight = true;
    this.again = false;
    const vms = [...this.cards.values()].map(({ host, uuid }) => ({ host, uuid }));
    let ok = true;
    try {
      const res = await this.deps.post(vms);
      if (res.watchSeconds && res.watchSeconds > 0) this.renewMs = Math.max(5_000, (res.watchSeconds * 1000) / 2);
      for (const t of res.thumbnails ?? []) this.changed(t);
    } catch {
      ok = false; // tried again soon; the cards meanwhile show what they have
    } finally {
      this.inFlight = false;
    }
    if (this.cards.size === 0) return;
    this.schedule(this.cardsAppeared() ? this.gatherMs : ok ? this.renewMs : 5_000);
  }
}
