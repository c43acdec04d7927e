import { describe, expect, it } from 'vitest';
import { ThumbnailWatcher, type WatchAnswer } from './thumbnailWatch';

/** A watcher whose timers and page visibility are driven by hand. */
function rig(answer: (vms: { host: string; uuid: string }[]) => WatchAnswer | Error = () => ({ thumbnails: [], watchSeconds: 60 })) {
  const posts: string[][] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  let visible = true;
  const visListeners = new Set<() => void>();
  const w = new ThumbnailWatcher({
    post: (vms) => {
      posts.push(vms.map((v) => `${v.host}/${v.uuid}`));
      const a = answer(vms);
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    visible: () => visible,
    onVisibility: (fn) => {
      visListeners.add(fn);
      return () => visListeners.delete(fn);
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      if (t) (t as { cleared: boolean }).cleared = true;
    },
  });
  const pending = () => timers.filter((t) => !t.cleared && !(t as { ran?: boolean }).ran);
  const settle = () => new Promise((r) => setTimeout(r, 0));
  /** Runs the pending timers (one each), and lets the request settle. */
  const tick = async () => {
    for (const t of pending()) {
      (t as { ran?: boolean }).ran = true;
      t.fn();
    }
    await settle();
  };
  const setVisible = (v: boolean) => {
    visible = v;
    for (const l of [...visListeners]) l();
  };
  return { w, posts, timers, pending, tick, setVisible, visListeners };
}

describe('ThumbnailWatcher', () => {
  it('names the cards on screen in one request, gathered for a moment', async () => {
    const r = rig();
    const stops = ['a', 'b', 'c'].map((u) => r.w.watch('local', u, () => undefined));
    expect(r.posts).toHaveLength(0);
    expect(r.pending()).toHaveLength(1); // one gathering timer for the three
    expect(r.pending()[0]?.ms).toBe(200);
    await r.tick();
    expect(r.posts).toEqual([['local/a', 'local/b', 'local/c']]);
    // Renewed before the server's watch (60 s) lapses.
    expect(r.pending()[0]?.ms).toBe(30_000);
    for (const s of stops) s();
    // Nothing on screen: no renewal, no visibility listener.
    expect(r.pending()).toHaveLength(0);
    expect(r.visListeners.size).toBe(0);
  });

  it('passes the ETags the server answers and announces to the cards of those VMs', async () => {
    const r = rig(() => ({ thumbnails: [{ host: 'local', uuid: 'a', etag: '"t1"' }, { host: 'local', uuid: 'b' }], watchSeconds: 60 }));
    const seen: string[] = [];
    r.w.watch('local', 'a', (e) => seen.push(`a ${e}`));
    r.w.watch('local', 'b', (e) => seen.push(`b ${e}`));
    await r.tick();
    expect(seen).toEqual(['a "t1"']); // b has no capture yet: nothing to fetch
    r.w.changed({ host: 'local', uuid: 'b', etag: '"t2"' });
    r.w.changed({ host: 'local', uuid: 'z', etag: '"t3"' }); // not on screen
    expect(seen).toEqual(['a "t1"', 'b "t2"']);
  });

  it('does nothing while the page is hidden, and names the cards again when it shows', async () => {
    const r = rig();
    r.w.watch('local', 'a', () => undefined);
    await r.tick();
    expect(r.posts).toHaveLength(1);
    r.setVisible(false);
    expect(r.pending()).toHaveLength(0); // the renewal is canceled
    await r.tick();
    expect(r.posts).toHaveLength(1);
    r.setVisible(true);
    expect(r.pending()[0]?.ms).toBe(0);
    await r.tick();
    expect(r.posts).toHaveLength(2);
  });

  it('sends once more for cards that appeared while a request was under way, and retries a failed one', async () => {
    let fail = true;
    const r = rig(() => (fail ? new Error('down') : { thumbnails: [] }));
    r.w.watch('local', 'a', () => undefined);
    const t = r.pending()[0];
    t?.fn();
    r.w.watch('local', 'b', () => undefined); // while the request is under way
    await new Promise((res) => setTimeout(res, 0));
    // Failed, and b is new: sent again soon with both.
    expect(r.pending().at(-1)?.ms).toBe(200);
    fail = false;
    await r.tick();
    expect(r.posts.at(-1)).toEqual(['local/a', 'local/b']);
  });
});
