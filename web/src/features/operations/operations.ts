// Operations started from this page get a toast that follows their
// progress and ends with the result; all operations show in the status bar.

import type { QueryClient } from '@tanstack/react-query';
import { toast } from 'sonner';
import { putOperation } from '../../resources/operation/cache';
import { onOperation } from '../../resources/operation/listeners';
import type { DeleteResult, Operation, SnapshotCreateResult, SnapshotDeleteResult, SnapshotRevertResult } from '../../api/types';
import { plural } from '../../lib/format';
import { stateLabel } from '../../resources/vm/model';

/** Says what an operation does: "Shutting down web". */
export function describeOperation(op: Pick<Operation, 'kind' | 'target'>): string {
  const name = op.target.name ?? op.target.uuid ?? '';
  const verb: Record<string, string> = {
    shutdown: 'Shutting down',
    delete: 'Deleting',
    'snapshot-create': 'Taking a snapshot of',
    'snapshot-revert': 'Reverting',
    'snapshot-delete': 'Deleting a snapshot of',
  };
  const v = verb[op.kind] ?? op.kind.replace(/[-_]/g, ' ').replace(/^./, (c) => c.toUpperCase());
  return name ? `${v} ${name}` : v;
}

/**
 * Names an operation in a few words, the action first: "Snapshot ui-C of
 * demo-db", "Shutdown of web", "Delete of db". Used where space is short
 * (the status bar), where the VM's name alone said nothing of what was done.
 */
export function operationLabel(op: Pick<Operation, 'kind' | 'target' | 'result' | 'state'>): string {
  const name = op.target.name ?? op.target.uuid?.slice(0, 8) ?? '';
  const of = name ? ` of ${name}` : '';
  switch (op.kind) {
    case 'snapshot-create': {
      const snap = (op.result as Partial<SnapshotCreateResult> | undefined)?.snapshot?.name;
      return snap ? `Snapshot ${snap}${of}` : `Snapshot${of}`;
    }
    case 'snapshot-revert': {
      const snap = (op.result as Partial<SnapshotRevertResult> | undefined)?.snapshot;
      return snap ? `Revert${of} to ${snap}` : `Revert${of}`;
    }
    case 'snapshot-delete': {
      const deleted = (op.result as Partial<SnapshotDeleteResult> | undefined)?.deleted ?? [];
      return deleted.length === 1 ? `Delete of snapshot ${deleted[0] ?? ''}${of}` : `Snapshot deletion${of}`;
    }
    case 'shutdown':
      return `Shutdown${of}`;
    case 'delete':
      return `Delete${of}`;
    default: {
      const verb = op.kind.replace(/[-_]/g, ' ').replace(/^./, (c) => c.toUpperCase());
      return `${verb}${of}`;
    }
  }
}

/** Who asked for an operation, as the viewer may know it: "you", a name (admins see everyone's), or '' when not told. */
export function operationBy(op: Pick<Operation, 'user'>, me: string | undefined): string {
  if (!op.user) return '';
  return op.user === me ? 'you' : op.user;
}

/** Says how an operation ended: "web is shut down". */
export function describeResult(op: Operation): string {
  const name = op.target.name ?? 'The VM';
  switch (op.state) {
    case 'running':
      return `${describeOperation(op)}…`;
    case 'canceled':
      return `${describeOperation(op)}: canceled`;
    case 'failed':
      return op.error?.message ?? `${describeOperation(op)} failed`;
    case 'succeeded':
      break;
  }
  switch (op.kind) {
    case 'shutdown':
      return `${name} is shut down`;
    case 'delete': {
      const r = (op.result ?? {}) as DeleteResult;
      const parts = [`${name} was deleted`];
      if (r.removedDisks?.length) parts.push(`${plural(r.removedDisks.length, 'disk image')} removed`);
      if (r.keptDisks?.length) parts.push(`${plural(r.keptDisks.length, 'disk image')} kept`);
      if (r.snapshotsDeleted) parts.push(`${plural(r.snapshotsDeleted, 'snapshot')} deleted`);
      return parts.join('; ');
    }
    case 'snapshot-create': {
      const r = op.result as Partial<SnapshotCreateResult> | undefined;
      return r?.snapshot ? `Snapshot “${r.snapshot.name}” of ${name} taken${r.quiesced ? ' (quiesced)' : ''}` : `${describeOperation(op)}: done`;
    }
    case 'snapshot-revert': {
      const r = op.result as Partial<SnapshotRevertResult> | undefined;
      return r?.snapshot ? `${name} reverted to “${r.snapshot}”${r.vmState ? `; now ${stateLabel(r.vmState).toLowerCase()}` : ''}` : `${describeOperation(op)}: done`;
    }
    case 'snapshot-delete': {
      const deleted = (op.result as Partial<SnapshotDeleteResult> | undefined)?.deleted ?? [];
      if (deleted.length === 0) return `${describeOperation(op)}: done`;
      return deleted.length === 1 ? `Snapshot “${deleted[0] ?? ''}” of ${name} deleted` : `${plural(deleted.length, 'snapshot')} of ${name} deleted`;
    }
    default:
      return `${describeOperation(op)}: done`;
  }
}

/** "40% · waiting for the guest to power off" */
export function describeProgress(op: Operation): string {
  const p = op.progress.percent;
  return [p !== undefined ? `${p}%` : '', op.progress.stage].filter(Boolean).join(' · ');
}

const followed = new Set<string>();

function showToast(op: Operation): void {
  if (op.state === 'running') {
    toast.loading(describeOperation(op), { id: op.id, description: describeProgress(op) });
    return;
  }
  followed.delete(op.id);
  if (op.state === 'succeeded') toast.success(describeResult(op), { id: op.id, description: undefined });
  else if (op.state === 'canceled') toast.info(describeResult(op), { id: op.id, description: undefined });
  else toast.error(describeResult(op), { id: op.id, description: op.error?.hint });
}

/**
 * Follows an operation this page started: stores it, and shows a toast
 * with its progress and result (even if its last event came before the
 * answer that named it).
 */
export function followOperation(qc: QueryClient, op: Operation): void {
  const current = putOperation(qc, op);
  followed.add(op.id);
  showToast(current);
}

/** Starts updating the toasts of followed operations from events. Returns a stop function. */
export function startOperationToasts(): () => void {
  return onOperation((op) => {
    if (followed.has(op.id)) showToast(op);
  });
}
