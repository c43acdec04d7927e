// A running VM's screen, small, on its dashboard card: asked for only while
// the card is on screen and the page visible, then again only when the
// server announces a new picture (thumbnailWatch.ts), and a link to the
// console.

import { Monitor } from 'lucide-react';
import { memo, useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { formatDateTime } from '../../lib/format';
import { vmHref, vmKey } from '../../resources/vm/model';
import { api } from '../../api/client';
import { onThumbnail } from '../../resources/thumbnail/listeners';
import { followThumbnail, ThumbnailCache } from './thumbnails';
import { ThumbnailWatcher, type WatchAnswer } from './thumbnailWatch';
import './thumbnail.css';

/** Object URLs of the cached thumbnails, revoked when the cache drops them. */
const urls = new Map<Blob, string>();
const cache = new ThumbnailCache(200, (e) => {
  const u = urls.get(e.blob);
  if (u) {
    urls.delete(e.blob);
    URL.revokeObjectURL(u);
  }
});

/** The page's one watcher: it names the cards on screen to the server. */
const watcher = new ThumbnailWatcher({
  post: (vms) => api<WatchAnswer>('/api/v1/thumbnails/watch', { method: 'POST', body: { vms } }),
  visible: () => document.visibilityState !== 'hidden',
  onVisibility: (fn) => {
    document.addEventListener('visibilitychange', fn);
    return () => document.removeEventListener('visibilitychange', fn);
  },
  setTimer: (fn, ms) => window.setTimeout(fn, ms),
  clearTimer: (t) => window.clearTimeout(t as number),
});
onThumbnail((t) => watcher.changed(t));

function urlFor(blob: Blob): string {
  let u = urls.get(blob);
  if (!u) {
    u = URL.createObjectURL(blob);
    urls.set(blob, u);
  }
  return u;
}

/** Whether el is on screen, and the page visible. */
function useOnScreen(el: HTMLElement | null): boolean {
  const [intersecting, setIntersecting] = useState(false);
  const [visible, setVisible] = useState(() => document.visibilityState !== 'hidden');
  useEffect(() => {
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      const last = entries[entries.length - 1];
      if (last) setIntersecting(last.isIntersecting);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [el]);
  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  return intersecting && visible;
}

export const VMThumbnail = memo(function VMThumbnail({ host, uuid, name }: { host: string; uuid: string; name: string }) {
  const key = vmKey(host, uuid);
  const [el, setEl] = useState<HTMLAnchorElement | null>(null);
  const onScreen = useOnScreen(el);
  const [entry, setEntry] = useState(() => cache.get(key));
  const [stopped, setStopped] = useState(false);
  const etag = useRef(entry?.etag);

  useEffect(() => {
    if (!onScreen || stopped) return;
    return followThumbnail(
      host,
      uuid,
      () => etag.current,
      {
        onNew(e) {
          cache.set(key, e);
          etag.current = e.etag;
          setEntry(e);
        },
        onStopped() {
          cache.delete(key);
          setStopped(true);
        },
      },
      { watch: (onETag) => watcher.watch(host, uuid, onETag) },
    );
  }, [onScreen, stopped, host, uuid, key]);

  const url = entry ? urlFor(entry.blob) : undefined;
  const taken = entry?.taken ? formatDateTime(entry.taken) : undefined;
  return (
    <Link
      ref={setEl}
      href={vmHref(host, uuid, 'console')}
      className="vm-thumb"
      title={taken ? `Screen of ${name} at ${taken}: open the console` : `Open the console of ${name}`}
      aria-label={url ? undefined : `Open the console of ${name}`}
      data-testid="vm-thumbnail"
    >
      {url ? <img src={url} alt={`Screen of ${name}`} loading="lazy" decoding="async" /> : <Monitor size={18} aria-hidden />}
    </Link>
  );
});
