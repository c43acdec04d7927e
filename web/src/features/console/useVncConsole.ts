// The React side of one graphical console: loads noVNC (its own chunk, only
// when a console opens), runs a ConsoleConnection whose sessions are a
// WebSocket plus an RFB object in the screen element, applies the
// settings, and measures what the status bar shows.

import type RFB from '@novnc/novnc';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { api, vmPath } from '../../api/client';
import type { ConsoleTicket } from '../../api/types';
import { ConsoleConnection, type CloseInfo, type ConsoleView, type SessionEvents, type SessionLike } from './connection';
import type { Scaling } from './consoleSettings';
import { shiftFix } from './keys';
import { RateMeter, RoundTrips } from './metrics';
import { withReadbackCanvases } from './readback';

type RFBClass = typeof RFB;

/** What noVNC 1.7 keeps private and the status bar needs; read defensively (absent: not shown). */
interface RFBInternals {
  _display?: { flip?: (...args: unknown[]) => unknown };
  _sock?: unknown;
  _qemuExtKeyEventSupported?: boolean;
}
interface RFBMessages {
  fbUpdateRequest?: (sock: unknown, incremental: boolean, x: number, y: number, w: number, h: number) => void;
}

export interface ConsoleStats {
  width: number;
  height: number;
  /** Screen updates (FramebufferUpdate messages) per second. */
  updatesPerSecond: number;
  /** Median round trip of a one-pixel update request, ms. */
  rttMs?: number | undefined;
  /** Keys go as physical scancodes (QEMU extended key events) rather than keysyms. */
  scancodes?: boolean | undefined;
}

const NO_STATS: ConsoleStats = { width: 0, height: 0, updatesPerSecond: 0 };

/** How often the round trip is measured while the page is visible. */
const PROBE_MS = 2000;

export function wsURL(path: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${path}`;
}

/** Applies a scaling mode to an RFB object. */
export function applyScaling(rfb: RFB, s: Scaling): void {
  rfb.clipViewport = false;
  rfb.scaleViewport = s !== 'native';
  rfb.resizeSession = s === 'remote';
}

export interface VncOptions {
  host: string;
  uuid: string;
  running: boolean;
  scaling: Scaling;
  viewOnly: boolean;
  quality: number;
  compression: number;
  dotCursor: boolean;
  /** A human name for the screen (the canvas's label). */
  label: string;
  /** Called for key presses in the console before noVNC (F11, say); true: handled. */
  onKey?: (e: KeyboardEvent) => boolean;
  /** The display head to show (GET …/displays); 0 or absent: the VM's own console. */
  display?: number | undefined;
}

export interface VncConsole {
  conn: ConsoleConnection | null;
  view: ConsoleView;
  /** The RFB object while connected. */
  rfb: RFB | null;
  stats: ConsoleStats;
  /** The last picture of a dropped session, shown dimmed while reconnecting. */
  lastFrame: string | null;
  /** The guest's clipboard, as last sent (where the guest supports it). */
  guestClipboard: { text: string; at: number } | null;
  /** noVNC could not be loaded. */
  loadError: unknown;
}

const CONNECTING: ConsoleView = { phase: 'connecting', everConnected: false };
const noopSubscribe = () => () => undefined;

export function useVncConsole(screen: React.RefObject<HTMLDivElement | null>, o: VncOptions): VncConsole {
  const [RFBCtor, setRFBCtor] = useState<RFBClass | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [conn, setConn] = useState<ConsoleConnection | null>(null);
  const [rfb, setRfb] = useState<RFB | null>(null);
  const [stats, setStats] = useState<ConsoleStats>(NO_STATS);
  const [lastFrame, setLastFrame] = useState<string | null>(null);
  const [guestClipboard, setGuestClipboard] = useState<VncConsole['guestClipboard']>(null);
  const opts = useRef(o);
  useEffect(() => {
    opts.current = o;
  });

  // noVNC is loaded only here: its own chunk, fetched when a console opens.
  useEffect(() => {
    let live = true;
    import('@novnc/novnc').then(
      (m) => {
        if (live) setRFBCtor(() => m.default);
      },
      (err: unknown) => {
        if (live) setLoadError(err);
      },
    );
    return () => {
      live = false;
    };
  }, []);

  const { host, uuid } = o;
  useEffect(() => {
    const target = screen.current;
    if (!RFBCtor || !target) return;
    const openSession = (url: string, events: SessionEvents): SessionLike => {
      const ws = new WebSocket(wsURL(url));
      // Registered before noVNC's handlers (it sets onclose later), so the
      // server's close reason is known when noVNC reports the disconnect.
      let close: { code: number; reason: string } | undefined;
      ws.addEventListener('close', (e) => {
        close = { code: e.code, reason: e.reason };
      });
      const r = withReadbackCanvases(() => new RFBCtor(target, ws, { shared: true }));
      const cur = opts.current;
      r.background = '#111';
      r.qualityLevel = cur.quality;
      r.compressionLevel = cur.compression;
      r.showDotCursor = cur.dotCursor;
      r.viewOnly = cur.viewOnly;
      applyScaling(r, cur.scaling);
      let security: string | undefined;
      let stopMetrics: (() => void) | undefined;
      r.addEventListener('securityfailure', (e) => {
        security = e.detail.reason ?? `the server refused the connection (status ${e.detail.status})`;
      });
      r.addEventListener('connect', () => {
        const canvas = target.querySelector('canvas');
        if (canvas) {
          canvas.setAttribute('role', 'application');
          canvas.setAttribute('aria-label', opts.current.label);
          canvas.setAttribute('aria-roledescription', 'remote screen');
        }
        stopMetrics = startMetrics(r, RFBCtor, target, setStats);
        setLastFrame(null);
        setRfb(r);
        events.connected();
        r.focus({ preventScroll: true });
      });
      r.addEventListener('clipboard', (e) => setGuestClipboard({ text: e.detail.text, at: Date.now() }));
      r.addEventListener('disconnect', (e) => {
        stopMetrics?.();
        try {
          const frame = r.toDataURL('image/png');
          if (frame.length > 100) setLastFrame(frame);
        } catch {
          // no picture yet
        }
        setRfb((cur) => (cur === r ? null : cur));
        const info: CloseInfo = { clean: e.detail.clean, code: close?.code, reason: security ?? (close?.reason === '' ? undefined : close?.reason) };
        events.closed(info);
      });
      return {
        close() {
          stopMetrics?.();
          setRfb((cur) => (cur === r ? null : cur));
          r.disconnect();
        },
      };
    };
    const c = new ConsoleConnection({
      requestTicket: () => api<ConsoleTicket>(`${vmPath(host, uuid)}/console${opts.current.display ? `/display/${opts.current.display}` : ''}`, { method: 'POST' }),
      openSession,
      now: () => Date.now(),
      setTimer: (fn, ms) => window.setTimeout(fn, ms),
      clearTimer: (h) => window.clearTimeout(h as number),
      random: Math.random,
    });
    setConn(c);
    c.start(opts.current.running);
    return () => {
      c.dispose();
      setConn(null);
      setRfb(null);
      setStats(NO_STATS);
    };
  }, [RFBCtor, screen, host, uuid]);

  // The VM's state, from the app's events.
  useEffect(() => {
    conn?.setVMRunning(o.running);
  }, [conn, o.running]);

  // Settings and toolbar choices apply to the live session at once.
  const live = useRef<RFB | null>(null);
  useEffect(() => {
    live.current = rfb;
  }, [rfb]);
  useEffect(() => {
    const r = live.current;
    if (!r) return;
    r.qualityLevel = o.quality;
    r.compressionLevel = o.compression;
    r.showDotCursor = o.dotCursor;
    r.viewOnly = o.viewOnly;
    applyScaling(r, o.scaling);
  }, [rfb, o.quality, o.compression, o.dotCursor, o.viewOnly, o.scaling]);

  // Keys before noVNC sees them: the console's own (F11) and the Shift fix.
  useEffect(() => {
    const target = screen.current;
    if (!target || !rfb) return;
    const fixed = new Set<string>();
    const down = (e: KeyboardEvent) => {
      if (opts.current.onKey?.(e)) {
        e.preventDefault();
        e.stopPropagation();
        return;
      }
      if (rfb.viewOnly || e.isComposing) return;
      const fix = shiftFix(e);
      if (!fix) return;
      e.preventDefault();
      e.stopPropagation();
      for (const k of fix) rfb.sendKey(k.keysym, k.code, k.down);
      fixed.add(e.code);
    };
    const up = (e: KeyboardEvent) => {
      if (fixed.delete(e.code)) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    target.addEventListener('keydown', down, true);
    target.addEventListener('keyup', up, true);
    return () => {
      target.removeEventListener('keydown', down, true);
      target.removeEventListener('keyup', up, true);
    };
  }, [rfb, screen]);

  const view = useSyncExternalStore(
    conn?.subscribe ?? noopSubscribe,
    useCallback(() => conn?.getView() ?? CONNECTING, [conn]),
  );
  return { conn, view, rfb, stats, lastFrame, guestClipboard, loadError };
}

/**
 * Counts screen updates (noVNC flips its display once per complete
 * FramebufferUpdate), reads the resolution from the canvas, and measures
 * the round trip of a one-pixel non-incremental update request, which the
 * VNC server answers at once. Returns the stop function.
 */
function startMetrics(rfb: RFB, RFBCtor: RFBClass, target: HTMLElement, set: (s: ConsoleStats) => void): () => void {
  const internals = rfb as unknown as RFBInternals;
  const messages = (RFBCtor as unknown as { messages?: RFBMessages }).messages;
  const meter = new RateMeter(2000);
  const rtts = new RoundTrips(5);
  let probeAt: number | null = null;
  let stopped = false;
  const display = internals._display;
  const flip = display?.flip;
  if (display && typeof flip === 'function') {
    display.flip = (...args: unknown[]) => {
      const r = flip.apply(display, args);
      const now = performance.now();
      if (probeAt !== null) {
        // The probe's answer: a round trip, not a screen update.
        rtts.add(now - probeAt);
        probeAt = null;
      } else {
        meter.tick(now);
      }
      return r;
    };
  }
  let last: ConsoleStats = NO_STATS;
  const publish = () => {
    const canvas = target.querySelector('canvas');
    const next: ConsoleStats = {
      width: canvas?.width ?? 0,
      height: canvas?.height ?? 0,
      updatesPerSecond: meter.rate(performance.now()),
      rttMs: rtts.current(),
      scancodes: internals._qemuExtKeyEventSupported,
    };
    if (
      next.width !== last.width ||
      next.height !== last.height ||
      next.updatesPerSecond !== last.updatesPerSecond ||
      next.rttMs !== last.rttMs ||
      next.scancodes !== last.scancodes
    ) {
      last = next;
      set(next);
    }
  };
  const probe = () => {
    if (stopped || document.visibilityState === 'hidden') return;
    const now = performance.now();
    // An answer that never came (an old server) is given up after 10 s.
    if (probeAt !== null && now - probeAt < 10_000) return;
    if (typeof messages?.fbUpdateRequest !== 'function' || internals._sock === undefined) return;
    probeAt = now;
    messages.fbUpdateRequest(internals._sock, false, 0, 0, 1, 1);
  };
  const tick = window.setInterval(publish, 1000);
  const probes = window.setInterval(probe, PROBE_MS);
  window.setTimeout(probe, 300);
  publish();
  return () => {
    stopped = true;
    window.clearInterval(tick);
    window.clearInterval(probes);
    if (display && flip) display.flip = flip;
  };
}
