// One table from server events to cache updates: each event type the
// stream carries has exactly one entry that says what it changes. Events
// are hints (a missed one is repaired by the re-read on every reconnect,
// `onStreamOpen`); each entry validates its data and ignores what it
// cannot use. The entries use the resources' own reducers, so a mutation's
// answer and an event update the cache the same way.

import type { QueryClient } from '@tanstack/react-query';
import type { ApiError } from '../api/client';
import { EventStream } from '../api/events';
import type { StatsStore } from '../api/stats';
import type { Host, Operation, SnapshotEvent, StatsEvent, VM, VMRemovedEvent } from '../api/types';
import { dropHost, putHost } from './host/cache';
import { qk } from './keys';
import { putOperation } from './operation/cache';
import { notifyOperation } from './operation/listeners';
import { applySnapshotEvent, rereadSnapshots } from './snapshot/events';
import { invalidateSchedules } from './schedule/queries';
import { notifyThumbnail } from './thumbnail/listeners';
import { dropVM, putVM } from './vm/cache';
import { vmKey } from './vm/model';

/** What an event may change. */
export interface EventContext {
  qc: QueryClient;
  stats: StatsStore;
}

type Handler = (ctx: EventContext, data: unknown) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const agentConnected = (vm: VM): boolean => vm.guest?.agent === 'connected';

/** The table: event type → what it does to the cache. */
export const EVENT_TABLE = {
  /** A VM changed (or appeared): it replaces the VM in the list, unless older than what is shown. */
  vm: ({ qc }, data) => {
    if (!isObject(data) || typeof data.uuid !== 'string' || !data.uuid) return;
    const vm = data as unknown as VM;
    // The guest agent connected or went: the snapshot pre-flight (quiesce),
    // which comes with the list, depends on it. Only the list is read again
    // (details and diffs do not depend on the agent), and only when the
    // agent's being connected changes: "none" and no guest facts at all
    // (a VM that is not running) mean the same to the pre-flight. Comparing
    // the raw field re-read every snapshot query, aborting reads in flight,
    // whenever a VM started or stopped.
    const before = qc.getQueryData<VM[]>(qk.vms)?.find((v) => v.host === vm.host && v.uuid === vm.uuid);
    putVM(qc, vm);
    if (before && agentConnected(before) !== agentConnected(vm)) rereadSnapshots(qc, vm.host, vm.uuid, 'list');
  },
  /** A VM is gone: out of the list, and its stats forgotten. */
  'vm-removed': ({ qc, stats }, data) => {
    if (!isObject(data) || typeof data.host !== 'string' || typeof data.uuid !== 'string') return;
    const r = data as unknown as VMRemovedEvent;
    dropVM(qc, r.host, r.uuid);
    stats.forget(vmKey(r.host, r.uuid));
  },
  /** Stats samples go to the stats store, not to the query cache (a tick re-renders only what draws them). */
  stats: ({ stats }, data) => {
    if (!isObject(data) || typeof data.host !== 'string' || !Array.isArray(data.samples)) return;
    const s = data as unknown as StatsEvent;
    stats.push(s.host, s.samples);
  },
  /** An operation started, progressed or ended: into the list, then to its listeners (toasts, re-reads). */
  operation: ({ qc }, data) => {
    if (!isObject(data) || typeof data.id !== 'string' || !data.id) return;
    const op = data as unknown as Operation;
    putOperation(qc, op);
    notifyOperation(op);
  },
  /** A host changed state; one that comes back has its VM list read afresh by the server, so read it again. */
  host: ({ qc }, data) => {
    if (!isObject(data) || typeof data.name !== 'string' || !data.name) return;
    const h = data as unknown as Host;
    const before = putHost(qc, h);
    if (before && before.state !== 'connected' && h.state === 'connected') void qc.invalidateQueries({ queryKey: qk.vms });
  },
  /** A host was removed through the API (its VMs come as vm-removed events). */
  'host-removed': ({ qc }, data) => {
    if (isObject(data) && typeof data.name === 'string' && data.name) dropHost(qc, data.name);
  },
  /** A host presented an SSH key that is not approved: the host's own event carries its state and key; this one says it is new, so read the list. */
  'host-key': ({ qc }) => {
    void qc.invalidateQueries({ queryKey: qk.hosts });
  },
  /** A VM's snapshots changed: see snapshot/events.ts (drop deleted ones, re-read once work ends). */
  snapshot: ({ qc }, data) => {
    if (!isObject(data) || typeof data.host !== 'string' || typeof data.uuid !== 'string' || !data.host || !data.uuid) return;
    applySnapshotEvent(qc, data as unknown as SnapshotEvent);
  },
  /** A watched VM's console thumbnail is a new picture: to the thumbnail listeners (the cards on screen fetch it). */
  thumbnail: (_ctx, data) => {
    if (!isObject(data) || typeof data.host !== 'string' || typeof data.uuid !== 'string' || typeof data.etag !== 'string') return;
    if (!data.host || !data.uuid || !data.etag) return;
    notifyThumbnail({ host: data.host, uuid: data.uuid, etag: data.etag });
  },
  /** A VM's consoles started or stopped recording: its "Recording" mark and the recordings list are read again. */
  recording: ({ qc }, data) => {
    if (!isObject(data) || typeof data.host !== 'string' || typeof data.uuid !== 'string') return;
    void qc.invalidateQueries({ queryKey: ['recordings'] });
  },
  /** A snapshot policy changed, ran or was removed (its alert included): read the schedules again. */
  schedule: ({ qc }, data) => {
    if (isObject(data) && typeof data.id === 'string' && data.id) void invalidateSchedules(qc);
  },
} satisfies Record<string, Handler>;

export type EventType = keyof typeof EVENT_TABLE;

export const EVENT_TYPES = Object.keys(EVENT_TABLE) as EventType[];

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_TABLE, type);
}

/** Applies one event (its raw data) through the table. Returns false for a type the table does not have. */
export function applyEvent(ctx: EventContext, type: string, data: string): boolean {
  if (!isEventType(type)) return false;
  const handler: Handler = EVENT_TABLE[type];
  handler(ctx, parse(data));
  return true;
}

/** On every (re)open of the stream: events may have been missed while away, so the lists are read again. */
export function onStreamOpen(qc: QueryClient): void {
  void qc.invalidateQueries({ queryKey: qk.vms });
  void qc.invalidateQueries({ queryKey: qk.hosts });
  void qc.invalidateQueries({ queryKey: qk.operations });
}

export interface LiveOptions extends EventContext {
  onUnauthorized: (err?: ApiError) => void;
  /** For tests. */
  EventSource?: typeof EventSource;
  checkSession?: () => Promise<unknown>;
}

/** The app's event stream, wired to the table. */
export function createEventStream(o: LiveOptions): EventStream {
  const ctx: EventContext = { qc: o.qc, stats: o.stats };
  return new EventStream({
    types: EVENT_TYPES,
    onEvent: (type, data) => applyEvent(ctx, type, data),
    onOpen: () => onStreamOpen(o.qc),
    onUnauthorized: o.onUnauthorized,
    EventSource: o.EventSource,
    checkSession: o.checkSession,
  });
}
