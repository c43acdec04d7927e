import { QueryClient } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { connection } from '../api/events';
import { StatsStore } from '../api/stats';
import type { Host, Operation, VM } from '../api/types';
import { onThumbnail } from './thumbnail/listeners';
import { makeVM } from '../test/fixtures';
import { applyEvent as apply, createEventStream, type EventContext } from './events';
import { qk } from './keys';
import { onOperation } from './operation/listeners';

const applyEvent = (qc: QueryClient, stats: StatsStore, type: string, data: string) => apply({ qc, stats } satisfies EventContext, type, data);

function setup() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const stats = new StatsStore();
  return { qc, stats };
}

describe('applyEvent', () => {
  it('patches a VM into the list and derives its actions', () => {
    const { qc, stats } = setup();
    const other = makeVM({ uuid: '2', name: 'b' });
    qc.setQueryData<VM[]>(qk.vms, [makeVM({ uuid: '1', name: 'a' }), other]);
    applyEvent(qc, stats, 'vm', JSON.stringify(makeVM({ uuid: '1', name: 'a', state: 'paused', updated: '2026-01-01T00:00:09Z' })));
    const list = qc.getQueryData<VM[]>(qk.vms);
    expect(list?.[0]?.state).toBe('paused');
    expect(list?.[0]?.actions).toEqual(['force-off', 'reset', 'resume']);
    expect(list?.[1]).toBe(other);
  });

  it("re-reads a VM's snapshot pre-flight when its guest agent connects or goes", () => {
    const { qc, stats } = setup();
    const vm = { ...makeVM({ uuid: '1', name: 'a', state: 'running' }), guest: { agent: 'disconnected' } } as VM;
    qc.setQueryData<VM[]>(qk.vms, [vm]);
    qc.setQueryData(qk.snapshots(vm.host, vm.uuid), { capabilities: {} });
    const stale = () => qc.getQueryState(qk.snapshots(vm.host, vm.uuid))?.isInvalidated;
    applyEvent(qc, stats, 'vm', JSON.stringify({ ...vm, updated: '2026-01-01T00:00:05Z' }));
    expect(stale()).toBe(false);
    applyEvent(qc, stats, 'vm', JSON.stringify({ ...vm, guest: { agent: 'connected' }, updated: '2026-01-01T00:00:09Z' }));
    expect(stale()).toBe(true);
  });

  it('re-reads only the snapshot list when the agent changes, and nothing when a VM without one starts or stops', () => {
    const { qc, stats } = setup();
    const vm = makeVM({ uuid: '1', name: 'a', state: 'shutoff' });
    qc.setQueryData<VM[]>(qk.vms, [vm]);
    const details = [...qk.snapshots(vm.host, vm.uuid), 'details', 'p1'] as const;
    qc.setQueryData(qk.snapshots(vm.host, vm.uuid), { capabilities: {} });
    qc.setQueryData(details, { name: 'p1' });
    const stale = (key: readonly unknown[]) => qc.getQueryState(key)?.isInvalidated;
    // Started, no agent: guest facts appear, saying so. Nothing to re-read.
    applyEvent(qc, stats, 'vm', JSON.stringify({ ...vm, state: 'running', guest: { agent: 'none' }, updated: '2026-01-01T00:00:05Z' }));
    expect(stale(qk.snapshots(vm.host, vm.uuid))).toBe(false);
    expect(stale(details)).toBe(false);
    // The agent connects: the list (with the pre-flight), not the details.
    applyEvent(qc, stats, 'vm', JSON.stringify({ ...vm, state: 'running', guest: { agent: 'connected' }, updated: '2026-01-01T00:00:09Z' }));
    expect(stale(qk.snapshots(vm.host, vm.uuid))).toBe(true);
    expect(stale(details)).toBe(false);
  });

  it('removes VMs and their stats', () => {
    const { qc, stats } = setup();
    qc.setQueryData<VM[]>(qk.vms, [makeVM({ uuid: '1' })]);
    stats.push('local', [{ uuid: '1', time: '2026-01-01T00:00:00Z', cpuPercent: 5 }]);
    applyEvent(qc, stats, 'vm-removed', JSON.stringify({ host: 'local', uuid: '1', name: 'web' }));
    expect(qc.getQueryData<VM[]>(qk.vms)).toEqual([]);
    expect(stats.has('local/1')).toBe(false);
  });

  it('feeds stats to the store, not to the VM list', () => {
    const { qc, stats } = setup();
    const list = [makeVM({ uuid: '1' })];
    qc.setQueryData<VM[]>(qk.vms, list);
    applyEvent(qc, stats, 'stats', JSON.stringify({ host: 'local', time: '2026-01-01T00:00:00Z', samples: [{ uuid: '1', time: '2026-01-01T00:00:00Z', cpuPercent: 42 }] }));
    expect(stats.latest('local/1')?.cpu).toBe(42);
    expect(qc.getQueryData(qk.vms)).toBe(list);
  });

  it('upserts operations and tells listeners', () => {
    const { qc, stats } = setup();
    const seen: string[] = [];
    const stop = onOperation((op) => seen.push(`${op.id}:${op.state}`));
    const op: Operation = { id: 'x', kind: 'shutdown', target: {}, state: 'running', progress: { stage: 's' }, started: '2026-01-01T00:00:00Z', mayCancel: true };
    applyEvent(qc, stats, 'operation', JSON.stringify(op));
    applyEvent(qc, stats, 'operation', JSON.stringify({ ...op, state: 'succeeded' }));
    stop();
    expect(seen).toEqual(['x:running', 'x:succeeded']);
    expect(qc.getQueryData<Operation[]>(qk.operations)?.[0]?.state).toBe('succeeded');
  });

  it('tracks hosts and rereads VMs when a host comes back', () => {
    const { qc, stats } = setup();
    const h = (state: Host['state']): Host => ({ name: 'local', uri: 'qemu:///system', state, since: '', local: true });
    qc.setQueryData<Host[]>(qk.hosts, [h('reconnecting')]);
    qc.setQueryData<VM[]>(qk.vms, []);
    const spy = vi.spyOn(qc, 'invalidateQueries');
    applyEvent(qc, stats, 'host', JSON.stringify(h('connected')));
    expect(qc.getQueryData<Host[]>(qk.hosts)?.[0]?.state).toBe('connected');
    expect(spy).toHaveBeenCalledWith({ queryKey: qk.vms });
  });

  it('ignores garbage and unknown types', () => {
    const { qc, stats } = setup();
    expect(applyEvent(qc, stats, 'vm', 'not json')).toBe(true);
    expect(applyEvent(qc, stats, 'nope', '{}')).toBe(false);
  });
});

class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, ((e: { data: string }) => void)[]>();
  closed = false;
  constructor(public url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: { data: string }) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data: unknown) {
    for (const fn of this.listeners.get(type) ?? []) fn({ data: JSON.stringify(data) });
  }
}

describe('EventStream', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  function start(checkSession: () => Promise<unknown> = () => Promise.resolve({})) {
    const { qc, stats } = setup();
    const onUnauthorized = vi.fn();
    const stream = createEventStream({ qc, stats, onUnauthorized, EventSource: FakeEventSource as unknown as typeof EventSource, checkSession });
    stream.start();
    return { qc, stream, onUnauthorized, es: () => FakeEventSource.instances[FakeEventSource.instances.length - 1] as FakeEventSource };
  }

  it('refetches the lists on every open', () => {
    const { qc, es, stream } = start();
    const spy = vi.spyOn(qc, 'invalidateQueries');
    es().onopen?.();
    expect(connection.get().status).toBe('open');
    expect(spy.mock.calls.map((c) => c[0]?.queryKey)).toEqual([qk.vms, qk.hosts, qk.operations]);
    stream.stop();
  });

  it('reports a dropped stream and lets the browser retry', () => {
    const { es, stream } = start();
    es().onopen?.();
    es().readyState = 0;
    es().onerror?.();
    expect(connection.get().status).toBe('down');
    expect(FakeEventSource.instances).toHaveLength(1);
    es().onopen?.();
    expect(connection.get().status).toBe('open');
    stream.stop();
  });

  it('reconnects at once on resync', () => {
    const { es, stream } = start();
    const first = es();
    first.emit('resync', { reason: 'client too slow' });
    expect(first.closed).toBe(true);
    expect(FakeEventSource.instances).toHaveLength(2);
    stream.stop();
  });

  it('retries a refused stream with backoff while the session lives', async () => {
    const { es, stream } = start();
    es().readyState = 2;
    es().onerror?.();
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(FakeEventSource.instances).toHaveLength(2);
    stream.stop();
  });

  it('gives up and says so when the session is gone', async () => {
    const { es, onUnauthorized } = start(() => Promise.reject(new ApiError(401, { code: 'session_limit', message: 'ended' })));
    es().readyState = 2;
    es().onerror?.();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect((onUnauthorized.mock.calls[0]?.[0] as ApiError).code).toBe('session_limit');
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('applies events from the current stream only', () => {
    const { qc, es, stream } = start();
    qc.setQueryData<VM[]>(qk.vms, []);
    const old = es();
    old.emit('resync', {});
    old.emit('vm', makeVM({ uuid: 'late' }));
    expect(qc.getQueryData<VM[]>(qk.vms)).toEqual([]);
    es().emit('vm', makeVM({ uuid: 'new' }));
    expect(qc.getQueryData<VM[]>(qk.vms)?.map((v) => v.uuid)).toEqual(['new']);
    stream.stop();
  });
});

describe('thumbnail events', () => {
  it('reach the thumbnail listeners, and nothing else', () => {
    const qc = new QueryClient();
    const ctx: EventContext = { qc, stats: new StatsStore() };
    const seen: unknown[] = [];
    const off = onThumbnail((t) => seen.push(t));
    expect(apply(ctx, 'thumbnail', '{"host":"local","uuid":"u1","etag":"\\"t1\\"","taken":"2026-12-07T17:00:00Z"}')).toBe(true);
    expect(apply(ctx, 'thumbnail', '{"host":"local","uuid":"u1"}')).toBe(true); // no ETag: ignored
    expect(apply(ctx, 'thumbnail', 'not json')).toBe(true);
    off();
    apply(ctx, 'thumbnail', '{"host":"local","uuid":"u2","etag":"\\"t2\\""}');
    expect(seen).toEqual([{ host: 'local', uuid: 'u1', etag: '"t1"' }]);
  });
});
