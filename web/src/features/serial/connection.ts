// One browser window's connection to a VM's serial console: a fresh ticket
// for every (re)connect, the WebSocket, the scrollback replay, the console's
// state for the status line, and reconnecting with backoff when the socket
// drops. No React and no xterm here (see useSerialTerminal): everything
// outside is injected, so the whole state machine is unit-tested.

import { ApiError } from '../../api/client';
import type { SerialTicket } from '../../api/types';
import {
  binaryBytes,
  closeDisposition,
  cutFrames,
  HEALTHY_MS,
  inputFrames,
  MAX_PASTE_BYTES,
  parseServerMessage,
  retryDelay,
} from './protocol';

/** What the status line shows. */
export type SerialPhase =
  /** Asking for a ticket, opening the socket, or the server opening the console. */
  | 'connecting'
  /** Output flows and input reaches the guest. */
  | 'connected'
  /** The VM is not running; the console comes back by itself when it starts. */
  | 'vm-stopped'
  /** Another client (virsh console, say) holds the console; it can be taken over. */
  | 'held'
  /** The VM has no serial console. */
  | 'no-console'
  /** The server cannot open the console now (libvirt unreachable); it retries by itself. */
  | 'unavailable'
  /** The socket dropped; a new one is tried at retryAt. */
  | 'reconnecting'
  /** The console is gone for good (the VM was deleted, the session ended). */
  | 'ended';

export interface SerialView {
  phase: SerialPhase;
  /** The server's (or our) words for the phase, and what to do next. */
  message?: string | undefined;
  hint?: string | undefined;
  /** connected: the console was reopened after the VM (re)started or libvirt came back. */
  reopened?: boolean;
  /** connected: this window took the console over from another client. */
  tookOver?: boolean;
  /** reconnecting: when the next attempt starts (ms since the epoch). */
  retryAt?: number;
  /** held: a take-over was asked for and is under way. */
  takingOver?: boolean;
  /** A WebSocket is open: input reaches the server. */
  live: boolean;
  /** The server's scrollback had been cut (older output is lost). */
  truncated?: boolean;
  /** Nothing has come from the guest yet (an empty scrollback, no output since). */
  quiet?: boolean;
}

/** The terminal, as the connection sees it. */
export interface TerminalSink {
  /** Writes guest output; done runs once the terminal has processed it. */
  write(data: Uint8Array | string, done?: () => void): void;
  /** Forgets everything shown (before the scrollback is replayed). */
  reset(): void;
}

/** The WebSocket surface used here (the DOM WebSocket has it). */
export interface SocketLike {
  binaryType: BinaryType;
  readonly readyState: number;
  send(data: ArrayBufferView<ArrayBuffer> | string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
}

export interface SerialDeps {
  /** POST …/serial: a ticket, or an ApiError (409 vm_not_running, 422 no_serial_console, …). */
  requestTicket(force: boolean): Promise<SerialTicket>;
  /** Opens the WebSocket for the ticket's url (a path and query on this server). */
  openSocket(url: string): SocketLike;
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  random(): number;
}

/** Browser dependencies: the app's fetch wrapper is passed in by the caller. */
export function browserDeps(requestTicket: SerialDeps['requestTicket']): SerialDeps {
  return {
    requestTicket,
    openSocket(url) {
      const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
      return new WebSocket(`${proto}//${window.location.host}${url}`);
    },
    now: () => Date.now(),
    setTimer: (fn, ms) => window.setTimeout(fn, ms),
    clearTimer: (h) => window.clearTimeout(h as number),
    random: Math.random,
  };
}

/** The result of sending input. */
export type SendResult = 'sent' | 'dropped' | 'too-large';

const OPEN = 1;

export class SerialConnection {
  private state: SerialView = { phase: 'connecting', live: false };
  private readonly listeners = new Set<() => void>();
  private socket: SocketLike | null = null;
  /** Bumped by every connect and by dispose: callbacks of older attempts are ignored. */
  private gen = 0;
  private timer: unknown = null;
  private attempt = 0;
  private attachedAt = 0;
  /** The scrollback is being replayed: the terminal's answers to old queries must not reach the guest. */
  private replaying = false;
  /** The socket has had a status: later ones are changes seen live (the first is the state at joining). */
  private statusSeen = false;
  /** A scrollback has been received (on any socket so far). */
  private everAttached = false;
  private vmRunning = true;
  private disposed = false;

  constructor(
    private readonly sink: TerminalSink,
    private readonly deps: SerialDeps,
  ) {}

  get view(): SerialView {
    return this.state;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getView = (): SerialView => this.state;

  private set(next: SerialView): void {
    this.state = next;
    for (const l of [...this.listeners]) l();
  }

  /**
   * Says whether the VM runs (from the app's event stream). A console that
   * waits for the VM (no socket: the ticket was refused) connects when it
   * starts; while it is not running, no ticket is asked for. An open socket
   * follows the VM by itself: the server says vm-stopped, then reopened.
   */
  setVMRunning(running: boolean): void {
    const was = this.vmRunning;
    this.vmRunning = running;
    if (this.disposed || this.socket || this.state.phase === 'ended') return;
    if (!running) {
      this.cancelTimer();
      this.gen++; // a ticket request in flight is moot
      this.set({ phase: 'vm-stopped', live: false });
      return;
    }
    if (!was || this.state.phase === 'vm-stopped' || this.state.phase === 'no-console') {
      this.attempt = 0;
      this.connect();
    }
  }

  /** Connects for the first time; running says whether the VM runs. */
  start(running: boolean): void {
    this.vmRunning = running;
    this.connect();
  }

  /** Starts (or restarts, "Reconnect now") the connection. force takes the console over from another client. */
  connect(force = false): void {
    if (this.disposed) return;
    this.cancelTimer();
    this.dropSocket();
    if (!this.vmRunning) {
      this.set({ phase: 'vm-stopped', live: false });
      return;
    }
    const gen = ++this.gen;
    this.set({ phase: 'connecting', live: false, takingOver: force || undefined });
    this.deps.requestTicket(force).then(
      (t) => {
        if (gen === this.gen) this.open(gen, t.url);
      },
      (err: unknown) => {
        if (gen === this.gen) this.ticketFailed(err);
      },
    );
  }

  /** Takes the console over from the client that holds it (libvirt's force flag). */
  takeOver(): void {
    if (this.disposed) return;
    if (this.socket?.readyState === OPEN && this.state.phase === 'held') {
      this.socket.send(JSON.stringify({ type: 'take-over' }));
      this.set({ ...this.state, takingOver: true });
      return;
    }
    this.connect(true);
  }

  /**
   * Sends keyboard input (UTF-8) in frames the server accepts. Input while
   * the scrollback replays is the terminal answering old queries, and is
   * dropped; so is input while no socket is open.
   */
  send(data: string): SendResult {
    const frames = inputFrames(data);
    return this.sendFrames(frames);
  }

  /** Sends xterm's binary input (one byte per character). */
  sendBinary(data: string): SendResult {
    return this.sendFrames(cutFrames(binaryBytes(data)));
  }

  private sendFrames(frames: Uint8Array[]): SendResult {
    const total = frames.reduce((n, f) => n + f.length, 0);
    if (total > MAX_PASTE_BYTES) return 'too-large';
    const s = this.socket;
    if (s?.readyState !== OPEN || this.replaying) return 'dropped';
    for (const f of frames) s.send(f as Uint8Array<ArrayBuffer>);
    return 'sent';
  }

  /** Closes the connection for good. */
  dispose(): void {
    this.disposed = true;
    this.gen++;
    this.cancelTimer();
    this.dropSocket();
    this.listeners.clear();
  }

  // ---- internals ----------------------------------------------------------

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.deps.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private dropSocket(): void {
    const s = this.socket;
    this.socket = null;
    this.replaying = false;
    if (s) {
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      try {
        s.close(1000, 'closed by the viewer');
      } catch {
        // already closed
      }
    }
  }

  private ticketFailed(err: unknown): void {
    if (err instanceof ApiError) {
      if (err.status === 409 && err.code === 'vm_not_running') {
        this.set({ phase: 'vm-stopped', live: false, message: err.message, hint: err.hint });
        return;
      }
      if (err.status === 422 && err.code === 'no_serial_console') {
        this.set({ phase: 'no-console', live: false, message: err.message, hint: err.hint });
        return;
      }
      if (err.status === 401) {
        this.set({ phase: 'ended', live: false, message: 'Your session ended', hint: 'log in again' });
        return;
      }
      if (err.status === 404) {
        this.set({ phase: 'ended', live: false, message: err.message, hint: err.hint });
        return;
      }
    }
    const message = err instanceof Error ? err.message : String(err);
    this.retryLater(message, err instanceof ApiError ? err.hint : undefined, false);
  }

  private open(gen: number, url: string): void {
    let s: SocketLike;
    try {
      s = this.deps.openSocket(url);
    } catch (err) {
      this.retryLater(err instanceof Error ? err.message : String(err), undefined, false);
      return;
    }
    this.socket = s;
    this.statusSeen = false;
    s.binaryType = 'arraybuffer';
    s.onopen = () => {
      if (gen === this.gen) this.set({ ...this.state, live: true });
    };
    s.onmessage = (ev) => {
      if (gen === this.gen) this.message(gen, ev.data);
    };
    s.onclose = (ev) => {
      if (gen === this.gen) this.closed(ev.code, ev.reason);
    };
    s.onerror = () => undefined; // onclose follows with the code
  }

  private message(gen: number, data: unknown): void {
    if (data instanceof ArrayBuffer) {
      this.sink.write(new Uint8Array(data));
      if (this.state.quiet && data.byteLength > 0) this.set({ ...this.state, quiet: false });
      return;
    }
    if (typeof data !== 'string') return;
    const m = parseServerMessage(data);
    if (!m) return;
    switch (m.type) {
      case 'scrollback-start':
        // The scrollback replaces what the terminal shows; an empty one
        // (a restarted server has none) leaves what this window already has.
        if (m.bytes > 0 || !this.everAttached) this.sink.reset();
        this.everAttached = true;
        this.replaying = true;
        this.set({ ...this.state, truncated: m.truncated, quiet: m.bytes === 0 });
        return;
      case 'scrollback-end':
        this.attachedAt = this.deps.now();
        // The terminal parses asynchronously: the replay is over only once it
        // has processed everything written so far.
        this.sink.write('', () => {
          if (gen === this.gen) this.replaying = false;
        });
        return;
      case 'error':
        // A control message we sent was not understood: a bug, not the user's problem.
        console.warn('serial console:', m.code, m.message);
        return;
      case 'status': {
        const live = this.statusSeen;
        this.statusSeen = true;
        const base = { live: true, truncated: this.state.truncated, quiet: this.state.quiet, message: m.message, hint: m.hint };
        switch (m.state) {
          case 'connecting':
            this.set({ ...base, phase: 'connecting' });
            return;
          case 'connected':
          case 'reopened':
            // "reopened" on joining only says that the console was open before.
            this.set({ ...base, phase: 'connected', reopened: live && m.state === 'reopened', tookOver: (live && this.state.phase === 'held') || undefined });
            return;
          case 'vm-stopped':
            this.set({ ...base, phase: 'vm-stopped' });
            return;
          case 'held-by-other':
            this.set({ ...base, phase: 'held' });
            return;
          case 'no-serial-console':
            this.set({ ...base, phase: 'no-console' });
            return;
          case 'unavailable':
            this.set({ ...base, phase: 'unavailable' });
            return;
        }
      }
    }
  }

  private closed(code: number, reason: string): void {
    this.socket = null;
    this.replaying = false;
    const d = closeDisposition(code, reason);
    if (d.retry === 'never') {
      this.set({ phase: 'ended', live: false, message: `The console closed: ${d.reason}` });
      return;
    }
    if (this.attachedAt > 0 && this.deps.now() - this.attachedAt >= HEALTHY_MS) this.attempt = 0;
    this.attachedAt = 0;
    this.retryLater(d.reason, undefined, d.retry === 'now');
  }

  private retryLater(reason: string, hint: string | undefined, now: boolean): void {
    this.cancelTimer();
    // "now" only once in a row: a viewer that keeps falling behind backs off too.
    const delay = now && this.attempt === 0 ? 0 : retryDelay(this.attempt, () => this.deps.random());
    this.attempt++;
    const gen = ++this.gen;
    this.set({ phase: 'reconnecting', live: false, message: reason, hint, retryAt: this.deps.now() + delay, truncated: this.state.truncated });
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      if (gen === this.gen) this.connect();
    }, delay);
  }
}
