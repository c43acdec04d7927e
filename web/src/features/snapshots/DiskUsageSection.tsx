// The Snapshots tab's Disk usage section: each disk's chain of images with
// their sizes, what each snapshot holds and frees, and the two actions that
// give space back: merging the external snapshots into the base images,
// and compacting a shut-off VM's images (keeping internal snapshots).

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { HardDrive, Layers, Minimize2 } from 'lucide-react';
import { useState } from 'react';
import { toast } from 'sonner';
import type { VM } from '../../api/types';
import { useConfirm } from '../../components/ConfirmProvider';
import { ErrorNote } from '../../components/ErrorNote';
import { toastError } from '../../components/toastError';
import { formatBytes, plural } from '../../lib/format';
import { Button } from '../../ui';
import { useAccess } from '../security/useAccess';
import { baseName, startCompact, startMerge, usageQuery, type CompactResult, type DiskUsage, type MergeMode, type MergeResult } from './diskUsage';
import { Reasons, SizeValue } from './parts';
import { runOperation } from './runOperation';

export function DiskUsageSection({ vm, busy }: { vm: VM; busy: boolean }) {
  const q = useQuery(usageQuery(vm.host, vm.uuid, vm.state));
  const u = q.data;

  return (
    <section className="panel" aria-labelledby="usage-title">
      <h2 id="usage-title" className="panel-title">
        <HardDrive size={16} aria-hidden /> Disk usage
      </h2>
      {q.isPending ? (
        <p className="muted small" role="status">
          Reading the images…
        </p>
      ) : q.isError ? (
        <ErrorNote error={q.error} title="The disk usage cannot be read" onRetry={() => void q.refetch()} />
      ) : u ? (
        <>
          {u.unknown && <p className="muted small sentence">{u.unknown}</p>}
          <table className="usage-table small" aria-label={`Images of ${vm.name}`}>
            <thead>
              <tr>
                <th scope="col">Disk</th>
                <th scope="col">Image</th>
                <th scope="col">Role</th>
                <th scope="col">Size on host</th>
                <th scope="col">Snapshots inside</th>
              </tr>
            </thead>
            <tbody>
              {u.disks.flatMap((d) =>
                d.layers.map((l, i) => (
                  <tr key={d.target + l.file}>
                    <td>{i === 0 ? d.target : ''}</td>
                    <td title={l.file}>{baseName(l.file)}</td>
                    <td>
                      {l.role}
                      {l.snapshot ? ` (snapshot ${l.snapshot})` : ''}
                    </td>
                    <td>
                      <SizeValue size={l.allocation} />
                      {l.snapshotsHold !== undefined && <span className="muted"> ({formatBytes(l.snapshotsHold)} held by snapshots)</span>}
                    </td>
                    <td>{l.internalSnapshots.length === 0 ? '—' : l.internalSnapshots.map((s) => `${s.name}${s.vmStateBytes ? ` (memory ${formatBytes(s.vmStateBytes)})` : ''}`).join(', ')}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <p className="small">Total on the host: {formatBytes(u.total)}</p>
          {u.snapshots.length > 0 && (
            <table className="usage-table small" aria-label={`What the snapshots of ${vm.name} hold`}>
              <thead>
                <tr>
                  <th scope="col">Snapshot</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Holds</th>
                  <th scope="col">Removing it frees</th>
                </tr>
              </thead>
              <tbody>
                {u.snapshots.map((s) => (
                  <tr key={s.name}>
                    <td>{s.name}</td>
                    <td>{s.location}</td>
                    <td>
                      <SizeValue size={s.holds} />
                    </td>
                    <td>
                      {s.location === 'internal' && s.frees.bytes !== null && 'at least '}
                      <SizeValue size={s.frees} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <UsageActions vm={vm} usage={u} busy={busy} refetch={() => void q.refetch()} />
        </>
      ) : null}
    </section>
  );
}

/** Merge and Compact, with their confirmations (rendered once the usage is read). */
function UsageActions({ vm, usage: u, busy, refetch }: { vm: VM; usage: DiskUsage; busy: boolean; refetch: () => void }) {
  const qc = useQueryClient();
  const confirm = useConfirm();
  const { can } = useAccess();
  const mayChange = can('vm.snapshot');
  const [working, setWorking] = useState(false);
  const merge = async (mode: MergeMode) => {
    const files = u.merge.disks.flatMap((d) => d.overlays.map(baseName));
    const tops = u.merge.disks.map((d) => baseName(d.overlays[0] ?? ''));
    const lower = u.merge.disks.flatMap((d) => d.overlays.slice(1).map(baseName));
    const bases = u.merge.disks.map((d) => baseName(d.base));
    const still = u.merge.offline ? '' : ' The VM keeps running.';
    const ok = await confirm({
      title: mode === 'pull' ? `Pull the external snapshots of ${vm.name} into their newest overlays?` : `Merge the external snapshots of ${vm.name}?`,
      body:
        mode === 'pull' ? (
          <p className="sentence">
            The data of {bases.join(', ')}
            {lower.length > 0 ? ` and ${lower.join(', ')}` : ''} is copied up into {tops.join(', ')}, which the VM goes on using alone.
            {lower.length > 0 ? ` ${lower.join(', ')} are deleted; ` : ' '}
            {bases.join(', ')} stay as they are (no longer used by this VM; delete them on the Storage page when nothing else needs them). The snapshots{' '}
            {u.merge.forget.join(', ')} are removed from the list.{still}
          </p>
        ) : (
          <p className="sentence">
            The overlays {files.join(', ')} are copied into their base images and deleted; the snapshots {u.merge.forget.join(', ')} are removed from
            the list (their data stays, in the base images).{still}
          </p>
        ),
      confirmLabel: mode === 'pull' ? 'Pull' : 'Merge',
      danger: true,
    });
    if (!ok) return;
    setWorking(true);
    try {
      const res = await runOperation<MergeResult>(qc, () => startMerge(vm.host, vm.uuid, mode));
      toast.success(
        `${mode === 'pull' ? 'Pulled' : 'Merged'}: ${plural(res.forgotten.length, 'snapshot')} consolidated, ${plural(res.removed.length, 'overlay file')} deleted` +
          (res.kept.length > 0 ? `; kept ${res.kept.map(baseName).join(', ')}` : ''),
      );
    } catch (e) {
      toastError(e);
    } finally {
      setWorking(false);
      refetch();
    }
  };

  const compact = async () => {
    const ok = await confirm({
      title: `Compact the images of ${vm.name}?`,
      body: <p className="sentence">Each image is copied without its zero-filled space, checked, and then replaces the original. Snapshots stay.</p>,
      confirmLabel: 'Compact',
    });
    if (!ok) return;
    setWorking(true);
    try {
      const res = await runOperation<CompactResult>(qc, () => startCompact(vm.host, vm.uuid));
      toast.success(`Compacted: ${formatBytes(res.before)} → ${formatBytes(res.after)}`);
    } catch (e) {
      toastError(e);
    } finally {
      setWorking(false);
      refetch();
    }
  };

  return (
    <div className="usage-actions">
      <div>
        <Button disabled={!mayChange || !u.merge.possible || busy || working} onClick={() => void merge('commit')}>
          <Layers size={15} aria-hidden /> Merge external snapshots
        </Button>{' '}
        <Button
          disabled={!mayChange || !u.merge.possible || u.merge.pull?.possible !== true || busy || working}
          title={u.merge.pull?.reason ?? 'Copy the base’s data up into the newest overlay instead; the base image stays untouched'}
          onClick={() => void merge('pull')}
        >
          <Layers size={15} aria-hidden /> Pull into the newest overlay
        </Button>
        {u.merge.possible && u.mergeFrees !== undefined && <span className="small"> frees at most {formatBytes(u.mergeFrees)}</span>}
        {!u.merge.possible && u.snapshots.some((s) => s.location === 'external') && <Reasons cap={u.merge} />}
        {u.merge.possible && u.merge.pull?.possible === false && u.merge.pull.reason !== undefined && <p className="small muted">Pull: {u.merge.pull.reason}</p>}
      </div>
      <div>
        <Button disabled={!mayChange || !u.compact.possible || busy || working} onClick={() => void compact()}>
          <Minimize2 size={15} aria-hidden /> Compact images
        </Button>
        {!u.compact.possible && <Reasons cap={{ ...u.compact, notes: [] }} />}
      </div>
    </div>
  );
}
