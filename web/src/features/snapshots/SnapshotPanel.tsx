// The details of the selected node: a snapshot's metadata, sizes (or why
// they cannot be known), the screenshot stored with it, the configuration
// it captured and how today's differs; or, for "You are here", the live
// state and what a new snapshot would be.

import { useQuery } from '@tanstack/react-query';
import { Camera, FileDiff, HardDriveDownload, LoaderCircle, Pencil, RotateCcw, Trash2 } from 'lucide-react';
import { forwardRef, useState } from 'react';
import type { Snapshot, SnapshotList, VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { Tip } from '../../components/IconButton';
import { useRelativeNow } from '../../components/useNow';
import { PathText } from '../../components/PathText';
import { formatAgo, formatDateTime, plural } from '../../lib/format';
import { stateLabel } from '../../resources/vm/model';
import { useAccess } from '../security/useAccess';
import { ExportDiskDialog } from '../transfer/ExportDiskDialog';
import { diffLines, kindLabel, snapshotStateLabel } from './model';
import { Reasons, SizeValue } from './parts';
import { detailsQuery, diffQuery, screenshotURL } from '../../resources/snapshot/queries';
import { Button, InfoTip } from '../../ui';

export interface PanelActions {
  onRevert: (name: string) => void;
  onDelete: (name: string) => void;
  onEdit: (name: string) => void;
  onCreate: () => void;
  onSelect: (name: string) => void;
}

function Diff({ vm, name }: { vm: VM; name: string }) {
  const q = useQuery(diffQuery(vm.host, vm.uuid, name));
  if (q.isPending) return <p className="muted small">Comparing with today’s configuration…</p>;
  if (q.isError) return <ErrorNote error={q.error} title="The configurations cannot be compared" />;
  const diff = q.data;
  if (diff.identical) return <p className="small">Today’s configuration is the same as the one captured with this snapshot.</p>;
  const summary = diff.summary ?? [];
  return (
    <>
      {summary.length > 0 ? (
        <ul className="snap-diff-summary small">
          {summary.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      ) : (
        <p className="small">The configuration changed since (see the differences below).</p>
      )}
      <details className="snap-more">
        <summary>All differences (unified diff: − at snapshot time, + today)</summary>
        <pre className="snap-pre snap-diff" tabIndex={0} role="region" aria-label="Configuration differences">
          {diffLines(diff.unified).map((l, i) => (
            <span key={i} className={`dl dl-${l.kind}`}>
              {l.text}
              {'\n'}
            </span>
          ))}
        </pre>
      </details>
    </>
  );
}

function SnapshotBody({ vm, name, entry, busy, actions }: { vm: VM; name: string; entry: Snapshot; busy: boolean; actions: PanelActions }) {
  const q = useQuery(detailsQuery(vm.host, vm.uuid, name));
  const d = q.data;
  const s = d ?? entry;
  const now = useRelativeNow(s.creationTime);
  const children = s.children ?? [];
  // Changing snapshots and seeing their screenshots need the operator role.
  const mayChange = useAccess().can('vm.snapshot');
  const [exporting, setExporting] = useState(false);
  const disks = (d?.disks ?? []).filter((k) => k.location === 'internal' || k.location === 'external').map((k) => k.name);
  return (
    <>
      {mayChange && (
        <div className="snap-panel-actions" role="group" aria-label={`Actions for “${s.name}”`}>
          <Button size="sm" disabled={busy} onClick={() => actions.onRevert(s.name)}>
            <RotateCcw size={14} aria-hidden /> Revert…
          </Button>
          <Button size="sm" variant="danger-outline" disabled={busy} onClick={() => actions.onDelete(s.name)}>
            <Trash2 size={14} aria-hidden /> Delete…
          </Button>
          <Button size="sm" disabled={busy} onClick={() => actions.onEdit(s.name)}>
            <Pencil size={14} aria-hidden /> Edit description…
          </Button>
          <Button size="sm" disabled={busy || d === undefined || disks.length === 0} onClick={() => setExporting(true)}>
            <HardDriveDownload size={14} aria-hidden /> Export disk…
          </Button>
          {exporting && <ExportDiskDialog vm={vm} snapshot={s.name} disks={disks} open={exporting} onOpenChange={setExporting} />}
        </div>
      )}

      <dl className="kv kv-wide snap-kv">
        <dt>Taken</dt>
        <dd>
          {formatDateTime(s.creationTime)} <span className="muted">({formatAgo(s.creationTime, now)})</span>
        </dd>
        <dt>VM was</dt>
        <dd>{snapshotStateLabel(s.state)}</dd>
        <dt>Holds</dt>
        <dd>{kindLabel(s)}</dd>
        <dt>Stored</dt>
        <dd>
          <Tip
            text={
              s.location === 'external'
                ? 'External: overlay files (and a memory file) beside the disk images'
                : 'Internal: inside the qcow2 disk images'
            }
          >
            <span tabIndex={0} className="snap-size">
              {s.location}
            </span>
          </Tip>
        </dd>
        <dt>Parent</dt>
        <dd>
          {s.parent !== undefined ? (
            <Button variant="link" onClick={() => actions.onSelect(s.parent ?? '')}>
              {s.parent}
            </Button>
          ) : (
            <span className="muted">none (a root of the tree)</span>
          )}
        </dd>
        <dt>Children</dt>
        <dd>
          {children.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <>
              {children.map((c, i) => (
                <span key={c}>
                  {i > 0 && ', '}
                  <Button variant="link" onClick={() => actions.onSelect(c)}>
                    {c}
                  </Button>
                </span>
              ))}
              {s.descendants > children.length && <span className="muted"> ({plural(s.descendants, 'descendant')} in all)</span>}
            </>
          )}
        </dd>
        <dt>Description</dt>
        <dd className="snap-desc">{s.description ? s.description : <span className="muted">none</span>}</dd>
        <dt>Memory state</dt>
        <dd>{!s.memory ? <span className="muted">none (disks only)</span> : d ? <SizeValue size={d.memoryState} /> : <span className="muted">…</span>}</dd>
      </dl>

      {q.isError && <ErrorNote error={q.error} title="The snapshot’s details cannot be read" onRetry={() => void q.refetch()} />}
      {q.isPending && (
        <p className="muted small" role="status">
          <LoaderCircle size={14} className="spin" aria-hidden /> Reading sizes and configuration…
        </p>
      )}

      {d && (
        <>
          {!d.revert.possible && (
            <div className="snap-warn">
              <strong>Cannot be reverted to on this host</strong>
              <Reasons cap={d.revert} />
            </div>
          )}

          <h3 className="snap-h3">Disks</h3>
          {(d.disks ?? []).length === 0 ? (
            <p className="muted small">No disk is part of this snapshot.</p>
          ) : (
            (d.disks ?? []).map((k) => (
              <div key={k.name} className="snap-disk">
                <p className="snap-disk-head">
                  <span className="mono">{k.name}</span> · {k.location === 'no' ? 'not part of the snapshot' : k.location}
                </p>
                {k.image && (
                  <p className="mono path small snap-path">
                    <PathText path={k.image} />
                  </p>
                )}
                {k.overlay && (
                  <p className="mono path small snap-path">
                    Overlay started by the snapshot: <PathText path={k.overlay} />
                  </p>
                )}
                <dl className="kv snap-kv">
                  <dt>
                    Own share
                    <InfoTip topic="own share">
                      <p>The space this snapshot alone takes: about what deleting it would free.</p>
                    </InfoTip>
                  </dt>
                  <dd>
                    <SizeValue size={k.usage} />
                  </dd>
                  <dt>
                    Image on the host
                    <InfoTip topic="image on the host">
                      <p>The space the whole image file takes on the host’s disk, with every snapshot it holds.</p>
                    </InfoTip>
                  </dt>
                  <dd>
                    <SizeValue size={k.imageAllocation} />
                  </dd>
                </dl>
              </div>
            ))
          )}

          {d.screenshot && !mayChange && <p className="muted small">A console screenshot is stored with this snapshot; operators and admins can see it.</p>}
          {d.screenshot && mayChange && (
            <>
              <h3 className="snap-h3">Screen at snapshot time</h3>
              <img
                className="snap-shot"
                src={screenshotURL(vm.host, vm.uuid, d.name, d.creationTime)}
                alt={`The console of ${vm.name} when snapshot ${d.name} was taken`}
                loading="lazy"
              />
            </>
          )}

          <h3 className="snap-h3">
            <FileDiff size={15} aria-hidden /> Configuration then and now
          </h3>
          <Diff vm={vm} name={d.name} />
          {d.domainXML && (
            <details className="snap-more">
              <summary>Configuration captured with the snapshot (XML)</summary>
              <pre className="snap-pre" tabIndex={0} role="region" aria-label="Configuration at snapshot time">
                {d.domainXML}
              </pre>
            </details>
          )}
        </>
      )}
    </>
  );
}

function LiveBody({ vm, list, busy, actions }: { vm: VM; list: SnapshotList | undefined; busy: boolean; actions: PanelActions }) {
  const current = list?.current;
  const mayChange = useAccess().can('vm.snapshot');
  return (
    <>
      <p>
        The VM as it is now: <strong>{stateLabel(vm.state).toLowerCase()}</strong>.{' '}
        {current !== undefined ? (
          <>
            Its state descends from the current snapshot,{' '}
            <Button variant="link" onClick={() => actions.onSelect(current)}>
              {current}
            </Button>
            ; a new snapshot is created as its child.
          </>
        ) : (list?.count ?? 0) > 0 ? (
          'It has no current snapshot: a new snapshot becomes a new root of the tree.'
        ) : (
          'It has no snapshots yet.'
        )}
      </p>
      {mayChange && (
        <div className="snap-panel-actions">
          <Button size="sm" variant="primary" disabled={busy} onClick={actions.onCreate}>
            <Camera size={14} aria-hidden /> Take a snapshot here…
          </Button>
        </div>
      )}
      {list && (
        <>
          <h3 className="snap-h3">What a new snapshot can be</h3>
          <dl className="kv snap-kv">
            <dt>With memory</dt>
            <dd>
              {list.capabilities.memory.possible ? 'possible' : 'not possible'}
              <Reasons cap={list.capabilities.memory} showNotes={list.capabilities.memory.possible} />
            </dd>
            <dt>Disks only</dt>
            <dd>
              {list.capabilities['disk-only'].possible ? `possible (${list.capabilities['disk-only'].location ?? ''})` : 'not possible'}
              <Reasons cap={list.capabilities['disk-only']} showNotes={list.capabilities['disk-only'].possible} />
            </dd>
            <dt>Quiescing</dt>
            <dd>
              {list.capabilities.quiesce.possible ? 'possible' : 'not possible'}
              <Reasons cap={list.capabilities.quiesce} />
            </dd>
          </dl>
        </>
      )}
    </>
  );
}

export interface SnapshotPanelProps {
  vm: VM;
  list: SnapshotList | undefined;
  /** The selected snapshot's name, or undefined for the live state. */
  name: string | undefined;
  entry: Snapshot | undefined;
  busy: boolean;
  actions: PanelActions;
}

/** The details panel; its heading takes focus on Enter in the tree. */
export const SnapshotPanel = forwardRef<HTMLHeadingElement, SnapshotPanelProps>(function SnapshotPanel({ vm, list, name, entry, busy, actions }, ref) {
  return (
    <section className="panel snap-panel" aria-labelledby="snap-panel-title">
      <h2 id="snap-panel-title" className="panel-title snap-panel-title" tabIndex={-1} ref={ref}>
        {name === undefined ? (
          'You are here'
        ) : (
          <>
            {name}
            {entry?.current && <span className="badge snap-current-badge">current</span>}
          </>
        )}
      </h2>
      {name === undefined ? (
        <LiveBody vm={vm} list={list} busy={busy} actions={actions} />
      ) : entry ? (
        <SnapshotBody key={name} vm={vm} name={name} entry={entry} busy={busy} actions={actions} />
      ) : (
        <p className="muted">This snapshot no longer exists.</p>
      )}
    </section>
  );
});
