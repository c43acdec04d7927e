// The app's one Server-Sent Events connection. Events are hints that patch
// the query cache (VMs, hosts, operations) and feed the stats store; on every
// (re)connect the lists are fetched again, since events may have been missed.
// When the server is unreachable the connection state says so, and the
// stream keeps trying until the server is back.

import type { QueryClient } from '@tanstack/react-query';
import { api, ApiError } from './client';
import { qk, removeVM, upsertHost, upsertOperation, upsertVM } from './cache';
import type { StatsStore } from './stats';
import { applySnapshotEvent } from './snapshotEvents';
import type { Host, Operation, SnapshotEvent, StatsEvent, VM, VMRemovedEvent } from './types';
import { createStore } from '../lib/store';
import { vmKey } from '../lib/vm';

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

export type OperationListener = (op: Operation) => void;
const operationListeners = new Set<OperationListener>();

/** Calls fn with every operation event (for toasts of finished work). */
export function onOperation(fn: OperationListener): () => void {
  operationListeners.add(fn);
  return () => operationListeners.delete(fn);
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** Applies one event to the cache and the stats store. Returns false for an unknown type. */
export function applyEvent(qc: QueryClient, stats: StatsStore, type: string, data: string): boolean {
  switch (type) {
    case 'vm': {
      const vm = parse(data) as VM | undefined;
      if (!vm?.uuid) return true;
      qc.setQueryData<VM[]>(qk.vms, (list) => (list ? upsertVM(list, vm) : list));
      return true;
    }
    case 'vm-removed': {
      const r = parse(data) as VMRemovedEvent | undefined;
      if (!r) return true;
      qc.setQueryData<VM[]>(qk.vms, (list) => (list ? removeVM(list, r.host, r.uuid) : list));
      stats.forget(vmKey(r.host, r.uuid));
      return true;
    }
    case 'stats': {
      const s = parse(data) as StatsEvent | undefined;
      if (s && Array.isArray(s.samples)) stats.push(s.host, s.samples);
      return true;
    }
    case 'operation': {
      const op = parse(data) as Operation | undefined;
      if (!op?.id) return true;
      qc.setQueryData<Operation[]>(qk.operations, (list) => upsertOperation(list, op));
      for (const l of [...operationListeners]) l(op);
      return true;
    }
    case 'host': {
      const h = parse(data) as Host | undefined;
      if (!h?.name) return true;
      const before = qc.getQueryData<Host[]>(qk.hosts)?.find((x) => x.name === h.name);
      qc.setQueryData<Host[]>(qk.hosts, (list) => upsertHost(list, h));
      // A host that comes back has its VM list read afresh by the server.
      if (before && before.state !== 'connected' && h.state === 'connected') void qc.invalidateQueries({ queryKey: qk.vms });
      return true;
    }
    case 'host-removed': {
      const r = parse(data) as { name?: string } | undefined;
      if (r?.name) qc.setQueryData<Host[]>(qk.hosts, (list) => list?.filter((x) => x.name !== r.name));
      return true;
    }
    case 'host-key':
      // The host's own event carries its state and key; this one says it is new.
      void qc.invalidateQueries({ queryKey: qk.hosts });
      return true;
    case 'snapshot': {
      const s = parse(data) as Partial<SnapshotEvent> | undefined;
      if (s?.host && s.uuid) applySnapshotEvent(qc, { ...s, host: s.host, uuid: s.uuid } as SnapshotEvent);
      return true;
    }
    default:
      return false;
  }
}

export const EVENT_TYPES = ['vm', 'vm-removed', 'stats', 'operation', 'host', 'snapshot', 'host-removed', 'host-key'] as const;

export interface EventStreamOptions {
  url?: string;
  qc: QueryClient;
  stats: StatsStore;
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
      // Events may have been missed while away: read everything again.
      void this.opts.qc.invalidateQueries({ queryKey: qk.vms });
      void this.opts.qc.invalidateQueries({ queryKey: qk.hosts });
      void this.opts.qc.invalidateQueries({ queryKey: qk.operations });
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
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (e) => {
        if (this.es === es) applyEvent(this.opts.qc, this.opts.stats, type, (e as MessageEvent<string>).data);
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
