import { describe, expect, it } from 'vitest';
import type { Operation } from '../../api/types';
import { describeResult } from '../operations/operations';
import { createRequest } from './CreateSnapshotDialog';

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

describe('createRequest (the body)', () => {
  it('asks for exactly what was chosen', () => {
    expect(createRequest('s', '', 'memory', true, true)).toEqual({ name: 's', memory: true });
    expect(createRequest('s', 'why', 'disk-only', true, true)).toEqual({ name: 's', description: 'why', memory: false, quiesce: true });
    // A stopped VM's disk-only snapshot: quiescing does not apply.
    expect(createRequest('s', '  ', 'disk-only', false, false)).toEqual({ name: 's', memory: false });
  });
});

describe('toasts of finished snapshot operations', () => {
  it('say what was done', () => {
    expect(describeResult(op({ state: 'succeeded', result: { snapshot: { name: 'before-upgrade' }, quiesced: true } }))).toBe(
      'Snapshot “before-upgrade” of web taken (quiesced)',
    );
    expect(describeResult(op({ kind: 'snapshot-revert', state: 'succeeded', result: { snapshot: 'a', vmState: 'paused' } }))).toBe(
      'web reverted to “a”; now paused',
    );
    expect(describeResult(op({ kind: 'snapshot-delete', state: 'succeeded', result: { deleted: ['a', 'b'] } }))).toBe('2 snapshots of web deleted');
    expect(describeResult(op({ kind: 'snapshot-delete', state: 'succeeded', result: { deleted: ['a'] } }))).toBe('Snapshot “a” of web deleted');
    expect(describeResult(op({ state: 'failed', error: { code: 'x', message: 'no disk' } }))).toBe('no disk');
  });
});
