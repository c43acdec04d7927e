// One console's connection to a VM's graphical console: a fresh ticket for
// every (re)connect, the session (WebSocket + noVNC, injected), the phase
// the UI shows, the fixes the server's refusals call for, and reconnecting
// with exponential backoff when the connection drops. No React and no
// noVNC here: everything outside is injected, so the state machine is
// unit-tested.

import { ApiError } from '../../api/client';
import type { ConsoleTicket } from '../../api/types';

export type ConsolePhase =
  /** Asking for a ticket, opening the WebSocket, the RFB handshake. */
  | 'connecting'
  /** The screen is shown and input reaches the guest. */
  | 'connected'
  /** The connection dropped; the next attempt starts at retryAt. */
  | 'reconnecting'
  /** The VM does not run: offer to start it; connects by itself when it runs. */
  | 'vm-stopped'
  /** The VM has no VNC graphics: offer to add them. */
  | 'no-vnc'
  /** The VM has SPICE graphics only: offer the .vv file and to add VNC. */
  | 'spice-only'
  /** The VM's VNC graphics listen nowhere. */
  | 'not-listening'
  /** The console cannot be had (the VM is gone, the session ended, the server has no console). */
  | 'failed'
  /** The user disconnected. */
  | 'disconnected';

export interface ConsoleView {
  phase: ConsolePhase;
  /** Why (the server's or noVNC's words), for the status line. */
  message?: string | undefined;
  hint?: string | undefined;
  /** reconnecting: when the next attempt starts (ms since the epoch). */
  retryAt?: number | undefined;
  /** reconnecting: the number of the next attempt (1 first). */
  attempt?: number | undefined;
  /** connected: since when (ms since the epoch). */
  since?: number | undefined;
  /** A screen was shown before in this console (reconnects keep the last picture up). */
  everConnected: boolean;
}

/** How a session ended, as the WebSocket and noVNC tell it. */
export interface CloseInfo {
  /** noVNC's "clean" flag: false for errors and unexpected drops. */
  clean: boolean;
  /** The WebSocket close code, when known. */
  code?: number | undefined;
  /** The server's close reason or security failure reason, when given. */
  reason?: string | undefined;
}

export interface SessionEvents {
  /** The RFB handshake completed: the screen is live. */
  connected(): void;
  /** The session ended (once). */
  closed(info: CloseInfo): void;
}

/** An open session (WebSocket + RFB). */
export interface SessionLike {
  close(): void;
}

export interface ConsoleDeps {
  /** POST …/console: a ticket, or an ApiError (409 vm_not_running, 422 no_vnc_graphics, …). */
  requestTicket(): Promise<ConsoleTicket>;
  /** Opens the WebSocket for the ticket's url (a path and query on this server) and runs noVNC on it. */
  openSession(url: string, events: SessionEvents): SessionLike;
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  random(): number;
}

/** Reconnect delays: 1 s doubling up to 30 s, ±20 % so that many consoles do not retry in step. */
export const RETRY_MIN_MS = 1000;
export const RETRY_MAX_MS = 30_000;
/** A connection that lasted this long was healthy: the next drop retries quickly again. */
export const HEALTHY_MS = 10_000;

/** How long to wait before reconnect attempt number attempt (0 first). */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(Math.max(attempt, 0), 10));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Words for a session's end, for "Disconnected: …". */
export function closeReason(info: CloseInfo): string {
  const r = info.reason?.trim();
  if (r) return r;
  switch (info.code) {
    case 1001:
      return 'the server went away';
    case 1006:
      return 'the connection was lost';
    case 1011:
      return 'the server could not reach the VM’s display';
    case undefined:
      return info.clean ? 'the connection closed' : 'the connection was lost';
    default:
      return info.clean ? 'the connection closed' : `the connection was lost (code ${info.code})`;
  }
}

/** The phase for a refused ticket that needs the user (null: retry). */
function refusalPhase(err: ApiError): ConsolePhase | null {
  switch (err.code) {
    case 'vm_not_running':
      return 'vm-stopped';
    case 'no_vnc_graphics':
      return 'no-vnc';
    case 'spice_only':
      return 'spice-only';
    case 'vnc_not_listening':
      return 'not-listening';
    case 'console_unavailable':
      return 'failed';
  }
  if (err.status === 401 || err.status === 404 || err.status === 403) return 'failed';
  return null;
}

/** Phases that wait for the VM to (re)start before connecting again. */
const WAITS_FOR_START: ReadonlySet<ConsolePhase> = new Set(['vm-stopped', 'no-vnc', 'spice-only', 'not-listening']);

export class ConsoleConnection {
  private state: ConsoleView = { phase: 'connecting', everConnected: false };
  private readonly listeners = new Set<() => void>();
  private session: SessionLike | null = null;
  /** Bumped by every connect and by dispose: callbacks of older attempts are ignored. */
  private gen = 0;
  private timer: unknown = null;
  private attempt = 0;
  private connectedAt = 0;
  private vmRunning = true;
  private disposed = false;

  constructor(private readonly deps: ConsoleDeps) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getView = (): ConsoleView => this.state;

  private set(next: Omit<ConsoleView, 'everConnected'>): void {
    this.state = { ...next, everConnected: this.state.everConnected || next.phase === 'connected' };
    for (const l of [...this.listeners]) l();
  }

  /**
   * Connects for the first time; running says whether the VM runs (from the
   * app's events). A ticket is asked for even when it does not: the server
   * says first what the VM's definition lacks (no VNC graphics), and only
   * then that it is not running.
   */
  start(running: boolean): void {
    this.vmRunning = running;
    this.connect();
  }

  /**
   * Follows the VM's state (from the app's event stream). A console waiting
   * for the VM (stopped, or refused for graphics that take effect at the
   * next start) connects when it starts; while the VM does not run, no
   * ticket is asked for. An open session follows the VM by itself: the
   * server closes it when the VM stops.
   */
  setVMRunning(running: boolean): void {
    const was = this.vmRunning;
    this.vmRunning = running;
    if (was === running) return;
    if (this.disposed || this.session || this.state.phase === 'failed' || this.state.phase === 'disconnected') return;
    if (!running) {
      if (this.state.phase === 'reconnecting' || this.state.phase === 'connecting') {
        this.cancelTimer();
        this.gen++; // a ticket request in flight is moot
        this.set({ phase: 'vm-stopped' });
      }
      return;
    }
    if (WAITS_FOR_START.has(this.state.phase)) {
      this.attempt = 0;
      this.connect();
    }
  }

  /** (Re)connects now: "Reconnect", or after a fix. */
  connect(): void {
    if (this.disposed) return;
    this.cancelTimer();
    this.dropSession();
    const gen = ++this.gen;
    this.set({ phase: 'connecting', attempt: this.attempt > 0 ? this.attempt : undefined });
    this.deps.requestTicket().then(
      (t) => {
        if (gen === this.gen) this.open(gen, t.url);
      },
      (err: unknown) => {
        if (gen === this.gen) this.ticketFailed(err);
      },
    );
  }

  /** Closes the session and stays disconnected until connect(). */
  disconnect(): void {
    if (this.disposed) return;
    this.cancelTimer();
    this.gen++;
    this.dropSession();
    this.set({ phase: 'disconnected', message: 'You disconnected' });
  }

  /** Closes the connection for good. */
  dispose(): void {
    this.disposed = true;
    this.gen++;
    this.cancelTimer();
    this.dropSession();
    this.listeners.clear();
  }

  // ---- internals ----------------------------------------------------------

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.deps.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private dropSession(): void {
    const s = this.session;
    this.session = null;
    this.connectedAt = 0;
    if (s) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }

  private ticketFailed(err: unknown): void {
    if (err instanceof ApiError) {
      const phase = refusalPhase(err);
      if (phase) {
        this.set({ phase, message: err.message, hint: err.hint });
        // The server says stopped while the events say running: one of them
        // lags; look again later rather than wait for an event that came.
        if (phase === 'vm-stopped' && this.vmRunning) this.schedule(retryDelay(this.attempt++, () => this.deps.random()));
        return;
      }
    }
    const message = err instanceof Error ? err.message : String(err);
    this.retryLater(message, err instanceof ApiError ? err.hint : undefined);
  }

  private open(gen: number, url: string): void {
    let s: SessionLike;
    try {
      s = this.deps.openSession(url, {
        connected: () => {
          if (gen !== this.gen) return;
          this.connectedAt = this.deps.now();
          this.set({ phase: 'connected', since: this.connectedAt });
        },
        closed: (info) => {
          if (gen === this.gen) this.closed(info);
        },
      });
    } catch (err) {
      this.retryLater(err instanceof Error ? err.message : String(err), undefined);
      return;
    }
    if (gen === this.gen) this.session = s;
  }

  private closed(info: CloseInfo): void {
    const healthy = this.connectedAt > 0 && this.deps.now() - this.connectedAt >= HEALTHY_MS;
    this.session = null;
    this.connectedAt = 0;
    if (healthy) this.attempt = 0;
    const reason = closeReason(info);
    if (!this.vmRunning) {
      this.gen++;
      this.set({ phase: 'vm-stopped', message: reason });
      return;
    }
    this.retryLater(reason, undefined);
  }

  private retryLater(reason: string, hint: string | undefined): void {
    const delay = retryDelay(this.attempt, () => this.deps.random());
    this.attempt++;
    this.set({ phase: 'reconnecting', message: reason, hint, retryAt: this.deps.now() + delay, attempt: this.attempt });
    this.schedule(delay);
  }

  private schedule(delay: number): void {
    this.cancelTimer();
    const gen = ++this.gen;
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      if (gen === this.gen) this.connect();
    }, delay);
  }
}
