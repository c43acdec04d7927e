import { describe, expect, it } from 'vitest';
import type { Host, Operation } from '../api/types';
import { upsertHost } from './host/cache';
import { runningOperationFor, upsertOperation } from './operation/cache';
import { removeVM, upsertVM } from './vm/cache';
import { makeVM } from '../test/fixtures';

const op = (id: string, over: Partial<Operation> = {}): Operation => ({
  id,
  kind: 'shutdown',
  target: { host: 'local', uuid: 'u1', name: 'web' },
  state: 'running',
  progress: { stage: 'starting' },
  started: '2026-01-01T00:00:00Z',
  mayCancel: true,
  ...over,
});

describe('upsertVM', () => {
  const a = makeVM({ name: 'a', uuid: '1', actions: ['shutdown'] });
  const c = makeVM({ name: 'c', uuid: '3', actions: ['shutdown'] });

  it('replaces a VM and keeps the others identical', () => {
    const list = [a, c];
    const next = upsertVM(list, makeVM({ name: 'a', uuid: '1', state: 'shutoff', updated: '2026-01-01T00:00:01Z' }));
    expect(next).not.toBe(list);
    expect(next[1]).toBe(c);
    expect(next[0]?.state).toBe('shutoff');
    // An event carries no actions: they follow the new state.
    expect(next[0]?.actions).toEqual(['start']);
  });

  it('inserts new VMs in host and name order', () => {
    const next = upsertVM([a, c], makeVM({ name: 'b', uuid: '2' }));
    expect(next.map((v) => v.name)).toEqual(['a', 'b', 'c']);
    const other = upsertVM(next, makeVM({ name: 'a', uuid: '9', host: 'zz' }));
    expect(other.map((v) => v.host)).toEqual(['local', 'local', 'local', 'zz']);
  });

  it('ignores an older copy of a VM', () => {
    const list = [makeVM({ uuid: '1', state: 'shutoff', updated: '2026-01-01T00:00:05Z' })];
    expect(upsertVM(list, makeVM({ uuid: '1', state: 'running', updated: '2026-01-01T00:00:01Z' }))).toBe(list);
  });

  it('keeps known addresses when an update has none', () => {
    const list = [makeVM({ uuid: '1', addresses: [{ ip: '10.0.0.1', prefix: 24, source: 'lease' }] })];
    expect(upsertVM(list, makeVM({ uuid: '1', state: 'paused' }))[0]?.addresses).toEqual([{ ip: '10.0.0.1', prefix: 24, source: 'lease' }]);
  });
});

describe('removeVM', () => {
  it('removes by host and uuid', () => {
    const list = [makeVM({ uuid: '1' }), makeVM({ uuid: '2' })];
    expect(removeVM(list, 'local', '1').map((v) => v.uuid)).toEqual(['2']);
    expect(removeVM(list, 'other', '1')).toBe(list);
  });
});

describe('operations', () => {
  it('inserts newest first and updates in place', () => {
    let list = upsertOperation(undefined, op('a', { started: '2026-01-01T00:00:00Z' }));
    list = upsertOperation(list, op('b', { started: '2026-01-01T00:00:05Z' }));
    expect(list.map((o) => o.id)).toEqual(['b', 'a']);
    list = upsertOperation(list, op('a', { progress: { stage: 'waiting', percent: 40 } }));
    expect(list.map((o) => o.id)).toEqual(['b', 'a']);
    expect(list[1]?.progress.percent).toBe(40);
  });

  it('never lets a finished operation go back to running', () => {
    const done = upsertOperation(undefined, op('a', { state: 'succeeded' }));
    expect(upsertOperation(done, op('a'))).toBe(done);
  });

  it('finds the running operation of a VM', () => {
    const list = [op('a', { state: 'failed' }), op('b'), op('c', { target: { host: 'local', uuid: 'u2' } })];
    expect(runningOperationFor(list, 'local', 'u1')?.id).toBe('b');
    expect(runningOperationFor(list, 'local', 'u3')).toBeUndefined();
  });
});

describe('upsertHost', () => {
  it('keeps server order', () => {
    const h = (name: string, state: Host['state']): Host => ({ name, uri: '', state, since: '', local: true });
    let list = upsertHost(undefined, h('a', 'connected'));
    list = upsertHost(list, h('b', 'connected'));
    list = upsertHost(list, h('a', 'failed'));
    expect(list.map((x) => `${x.name}:${x.state}`)).toEqual(['a:failed', 'b:connected']);
  });
});

describe('an event during a read of the list', () => {
  it('is not lost when the read, started before it, lands', async () => {
    const { QueryClient, QueryObserver } = await import('@tanstack/react-query');
    const { putOperation } = await import('./operation/cache');
    const { qk } = await import('./keys');
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    // The server's list: empty when the first read is made, holding the
    // operation for every read after it started.
    let server: Operation[] = [];
    let releaseFirst: () => void = () => undefined;
    let reads = 0;
    // A page's status bar watches the list (an active query).
    const watcher = new QueryObserver<Operation[]>(qc, {
      queryKey: qk.operations,
      queryFn: async () => {
        reads++;
        const answer = server;
        if (reads === 1) await new Promise<void>((r) => (releaseFirst = r));
        return answer;
      },
    });
    const unsubscribe = watcher.subscribe(() => undefined);
    const query = qc.getQueryCache().find({ queryKey: qk.operations });
    expect(query?.state.fetchStatus).toBe('fetching');
    // The operation starts and ends while the first read is under way.
    const done = op('o1', { state: 'succeeded', finished: '2026-01-01T00:00:01Z' });
    server = [done];
    putOperation(qc, done);
    releaseFirst();
    await expect.poll(() => qc.getQueryData<Operation[]>(qk.operations)?.map((o) => o.id)).toEqual(['o1']);
    await expect.poll(() => watcher.getCurrentResult().isFetching).toBe(false);
    expect(qc.getQueryData<Operation[]>(qk.operations)?.map((o) => o.id)).toEqual(['o1']);
    unsubscribe();
  });
});
