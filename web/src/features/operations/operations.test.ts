import { describe, expect, it } from 'vitest';
import type { Operation } from '../../api/types';
import { describeOperation, describeProgress, describeResult, operationBy, operationLabel } from './operations';

const op = (over: Partial<Operation>): Operation => ({
  id: 'x',
  kind: 'shutdown',
  target: { host: 'local', uuid: 'u', name: 'web' },
  state: 'running',
  progress: { stage: 'waiting for the guest to power off (3 s of 90 s)', percent: 3 },
  started: '2026-01-01T00:00:00Z',
  mayCancel: true,
  ...over,
});

describe('operation wording', () => {
  it('says what runs and how far it is', () => {
    expect(describeOperation(op({}))).toBe('Shutting down web');
    expect(describeOperation(op({ kind: 'delete' }))).toBe('Deleting web');
    expect(describeOperation(op({ kind: 'disk-resize', target: {} }))).toBe('Disk resize');
    expect(describeProgress(op({}))).toBe('3% · waiting for the guest to power off (3 s of 90 s)');
    expect(describeProgress(op({ progress: { stage: 'starting' } }))).toBe('starting');
  });

  it('says how it ended, with the server message on failure', () => {
    expect(describeResult(op({ state: 'succeeded' }))).toBe('web is shut down');
    expect(describeResult(op({ state: 'canceled' }))).toBe('Shutting down web: canceled');
    expect(describeResult(op({ state: 'failed', error: { code: 'shutdown_timeout', message: 'VM "web" did not power off within 90 s' } }))).toBe(
      'VM "web" did not power off within 90 s',
    );
    expect(
      describeResult(op({ kind: 'delete', state: 'succeeded', result: { removedDisks: ['/a.qcow2'], keptDisks: ['/b.iso', '/c.img'], snapshotsDeleted: 2 } })),
    ).toBe('web was deleted; 1 disk image removed; 2 disk images kept; 2 snapshots deleted');
  });
});

describe('operationLabel', () => {
  it('names the action first, then the VM', () => {
    expect(operationLabel(op({ kind: 'snapshot-create', state: 'succeeded', result: { snapshot: { name: 'ui-C' } } }))).toBe('Snapshot ui-C of web');
    expect(operationLabel(op({ kind: 'snapshot-create' }))).toBe('Snapshot of web');
    expect(operationLabel(op({ kind: 'shutdown' }))).toBe('Shutdown of web');
    expect(operationLabel(op({ kind: 'delete' }))).toBe('Delete of web');
    expect(operationLabel(op({ kind: 'snapshot-revert', result: { snapshot: 'base' } }))).toBe('Revert of web to base');
    expect(operationLabel(op({ kind: 'snapshot-delete', result: { deleted: ['old'] } }))).toBe('Delete of snapshot old of web');
    expect(operationLabel(op({ kind: 'disk-resize', target: {} }))).toBe('Disk resize');
  });
  it('says who asked only as far as the server told', () => {
    expect(operationBy(op({}), 'ada')).toBe('');
    expect(operationBy(op({ user: 'ada' }), 'ada')).toBe('you');
    expect(operationBy(op({ user: 'otto' }), 'ada')).toBe('otto');
  });
});
