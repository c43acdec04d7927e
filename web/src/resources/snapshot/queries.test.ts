import { QueryClient } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import type { Operation } from '../../api/types';
import { qk } from '../keys';
import { upsertOperation } from '../operation/cache';
import { operationError, runToEnd, waitOperation } from '../operation/queries';
import { busyStillHolds, runningSnapshotOp } from './queries';

function op(over: Partial<Operation> = {}): Operation {
  return {
    id: 'op1',
    kind: 'snapshot-create',
    target: { host: 'local', uuid: 'u1', name: 'web' },
    state: 'running',
    progress: { stage: 'starting' },
    started: '2026-11-26T10:00:00Z',
    mayCancel: false,
    ...over,
  };
}

const applyEvent = (qc: QueryClient, o: Operation) => qc.setQueryData<Operation[]>(qk.operations, (l) => upsertOperation(l, o));

describe('waitOperation', () => {
  it('resolves at once when the operation ended before its answer was read', async () => {
    const qc = new QueryClient();
    applyEvent(qc, op({ state: 'succeeded' }));
    await expect(waitOperation(qc, 'op1')).resolves.toMatchObject({ state: 'succeeded' });
  });

  it('waits for the event that ends it, ignoring other operations', async () => {
    const qc = new QueryClient();
    applyEvent(qc, op());
    let done: Operation | undefined;
    void waitOperation(qc, 'op1').then((o) => (done = o));
    applyEvent(qc, op({ id: 'op2', state: 'failed' }));
    applyEvent(qc, op({ progress: { stage: 'saving memory and disks', percent: 50 } }));
    await Promise.resolve();
    expect(done).toBeUndefined();
    applyEvent(qc, op({ state: 'failed', error: { code: 'quiesce_failed', message: 'the guest agent could not freeze', hint: 'check qemu-guest-agent' } }));
    await vi.waitFor(() => expect(done?.state).toBe('failed'));
  });
});

describe('runToEnd', () => {
  afterEach(() => vi.restoreAllMocks());

  it('resolves with the result of a successful operation', async () => {
    const qc = new QueryClient();
    const started = vi.fn();
    const p = runToEnd<{ x: number }>(qc, () => Promise.resolve(op()), started);
    await vi.waitFor(() => expect(started).toHaveBeenCalled());
    applyEvent(qc, op({ state: 'succeeded', result: { x: 1 } }));
    await expect(p).resolves.toEqual({ x: 1 });
  });

  it('rejects with the server’s message and hint when the operation fails', async () => {
    const qc = new QueryClient();
    const p = runToEnd(qc, () => Promise.resolve(op()));
    applyEvent(qc, op({ state: 'failed', error: { code: 'revert_risky', message: 'libvirt refuses', hint: 'force it' } }));
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'revert_risky', message: 'libvirt refuses', hint: 'force it' });
  });
});

it('operationError names a canceled operation', () => {
  expect(operationError(op({ state: 'canceled' })).code).toBe('canceled');
});

describe('busy', () => {
  const busy = { operation: 'op1', kind: 'revert', snapshot: 'a', since: '' };
  it('holds while the operation runs or is unknown, not once it ended', () => {
    expect(busyStillHolds(undefined, [])).toBe(false);
    expect(busyStillHolds(busy, undefined)).toBe(true);
    expect(busyStillHolds(busy, [op()])).toBe(true);
    expect(busyStillHolds(busy, [op({ state: 'failed' })])).toBe(false);
    expect(busyStillHolds({ ...busy, operation: '' }, [])).toBe(true);
  });
  it('finds the running snapshot operation of a VM only', () => {
    const ops = [op({ id: 'a', kind: 'shutdown' }), op({ id: 'b', target: { host: 'local', uuid: 'u2' } }), op({ id: 'c', kind: 'snapshot-delete' })];
    expect(runningSnapshotOp(ops, 'local', 'u1')?.id).toBe('c');
  });
});

describe('the operation a snapshot dialog runs', () => {
  it('is put into the operations list as soon as it starts', async () => {
    const qc = new QueryClient();
    const p = runToEnd(qc, () => Promise.resolve(op()));
    await vi.waitFor(() => expect(qc.getQueryData<Operation[]>(qk.operations)?.map((o) => o.id)).toEqual(['op1']));
    applyEvent(qc, op({ state: 'succeeded', result: null }));
    await expect(p).resolves.toBeNull();
  });
});
