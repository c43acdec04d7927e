// The app's one Server-Sent Events connection: the transport only. What
// each event does (patch the query cache, feed the stats store) is the
// table in resources/events.ts; on every (re)connect `onOpen` lets it read
// the lists again, since events may have been missed. When the server is
// unreachable the connection state says so, and the stream keeps trying
// until the server is back.

import { api, ApiError } from './client';
import { createStore } from '../lib/store';

export type ConnectionStatus = 'connecting' | 'open' | 'down';

export interface ConnectionState {
  status: ConnectionStatus;
  /** When the status last changed (ms). */
  since: number;
  /** When the stream was last open (ms), 0 if never. */
  lastOpen: number;
  /** Why the stream is down, when known. */
  error?: string;
}

export const connection = createStore<ConnectionState>({ status: 'connecting', since: Date.now(), lastOpen: 0 });

export interface EventStreamOptions {
  url?: string;
  /** The event types to listen for. */
  types: readonly string[];
  /** Applies one event (its type and raw data). */
  onEvent: (type: string, data: string) => void;
  /** Called on every open of the stream: events may have been missed before it. */
  onOpen: () => void;
  /** Called when the session is gone (the stream answers 401), with the server's reason. */
  onUnauthorized: (err?: ApiError) => void;
  /** For tests. */
  EventSource?: typeof EventSource;
  checkSession?: () => Promise<unknown>;
}

/**
 * One EventSource with recovery: the browser retries a dropped stream by
 * itself; a stream the browser gave up on (an HTTP error) is retried here
 * with backoff, after checking that the session still exists.
 */
export class EventStream {
  private es: EventSource | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;
  private stopped = true;
  private readonly ES: typeof EventSource;

  constructor(private opts: EventStreamOptions) {
    this.ES = opts.EventSource ?? EventSource;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.es?.close();
    this.es = null;
  }

  /** Closes the stream and opens a new one at once (after `resync`). */
  reconnect(): void {
    this.es?.close();
    this.es = null;
    this.open();
  }

  private setStatus(status: ConnectionStatus, error?: string): void {
    connection.set((s) => {
      if (s.status === status && s.error === error) return s;
      const now = Date.now();
      return { status, since: now, lastOpen: status === 'open' ? now : s.lastOpen, error };
    });
  }

  private open(): void {
    if (this.stopped) return;
    const es = new this.ES(this.opts.url ?? '/api/v1/events');
    this.es = es;
    es.onopen = () => {
      if (this.es !== es) return;
      this.attempts = 0;
      this.setStatus('open');
      this.opts.onOpen();
    };
    es.onerror = () => {
      if (this.es !== es) return;
      if (es.readyState === this.ES.CLOSED) {
        // The browser gave up (an HTTP error such as 401): we decide.
        this.es = null;
        this.setStatus('down', 'the event stream was refused');
        void this.recover();
      } else {
        // The browser retries by itself (the server sets retry: 2000).
        this.setStatus('down', 'the server cannot be reached');
      }
    };
    for (const type of this.opts.types) {
      es.addEventListener(type, (e) => {
        if (this.es === es) this.opts.onEvent(type, (e as MessageEvent<string>).data);
      });
    }
    es.addEventListener('resync', () => {
      if (this.es === es) this.reconnect();
    });
  }

  private isStopped(): boolean {
    return this.stopped;
  }

  private async recover(): Promise<void> {
    if (this.stopped) return;
    try {
      await (this.opts.checkSession ?? (() => api('/api/v1/session', { quiet401: true })))();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.stop();
        this.opts.onUnauthorized(err);
        return;
      }
    }
    if (this.isStopped()) return;
    const delay = Math.min(10_000, 1000 * 2 ** this.attempts);
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }
}
