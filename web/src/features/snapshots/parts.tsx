// Small pieces the snapshot tab, panel and dialogs share: a capability's
// reasons and fixes, a size that may be unknown, and the pre-flight.

import { CircleCheck, CircleSlash, Info } from 'lucide-react';
import type { SnapshotCapabilities, SnapshotCapability, SnapshotSize } from '../../api/types';
import { Tip } from '../../components/IconButton';
import { formatBytes } from '../../lib/format';
import { InfoTip } from '../../ui';

/** Why something is not possible and what would fix it (server sentences). */
export function Reasons({ cap, showNotes = false }: { cap: SnapshotCapability; showNotes?: boolean }) {
  const reasons = cap.reasons ?? [];
  const fixes = cap.fixes ?? [];
  const notes = showNotes ? (cap.notes ?? []) : [];
  if (reasons.length + fixes.length + notes.length === 0) return null;
  return (
    <div className="snap-reasons small">
      {reasons.map((r) => (
        <p key={r} className="sentence">
          {r}.
        </p>
      ))}
      {fixes.map((f) => (
        <p key={f} className="sentence snap-fix">
          To fix: {f}.
        </p>
      ))}
      {notes.map((n) => (
        <p key={n} className="sentence muted">
          {n}.
        </p>
      ))}
    </div>
  );
}

/** A size read from QEMU, or why it cannot be known (said, not hidden). */
export function SizeValue({ size }: { size: SnapshotSize | undefined }) {
  if (!size) return <span className="muted">—</span>;
  if (size.bytes !== null) {
    return size.source ? (
      <Tip text={`Read with ${size.source}`}>
        <span tabIndex={0} className="snap-size">
          {formatBytes(size.bytes)}
        </span>
      </Tip>
    ) : (
      <span>{formatBytes(size.bytes)}</span>
    );
  }
  // The fact in a word; the server's explanation behind an info tip.
  return (
    <span className="snap-unknown">
      <span>Unknown</span>
      {size.unknown && (
        <InfoTip topic="why the size is unknown">
          <p className="sentence">{size.unknown}.</p>
        </InfoTip>
      )}
    </span>
  );
}

function Kind({ name, cap, detail }: { name: string; cap: SnapshotCapability; detail?: string | undefined }) {
  const why = (cap.reasons ?? []).join('; ');
  const text = cap.possible ? `${name}: possible${detail ? ` (${detail})` : ''}` : `${name}: not possible${why ? ` — ${why}` : ''}`;
  return (
    <Tip text={text}>
      <span className={`snap-kind ${cap.possible ? 'ok' : 'no'}`} tabIndex={0} aria-label={text}>
        {cap.possible ? <CircleCheck size={14} aria-hidden /> : <CircleSlash size={14} aria-hidden />}
        {name}
      </span>
    </Tip>
  );
}

const AGENT: Record<string, string> = {
  connected: 'guest agent connected',
  disconnected: 'guest agent not connected',
  none: 'no guest agent',
  unknown: 'guest agent: VM not running',
};

/** One line: which kinds of snapshot the VM can take now (details on hover or focus). */
export function PreflightLine({ caps }: { caps: SnapshotCapabilities }) {
  const active = caps.default === 'memory';
  return (
    <div className="snap-preflight" aria-label="What a new snapshot can be">
      <span className="muted">New snapshot:</span>
      <Kind name="with memory" cap={caps.memory} detail={caps.memory.location} />
      <Kind name="disks only" cap={caps['disk-only']} detail={caps['disk-only'].location} />
      {active && <Kind name="quiesced" cap={caps.quiesce} />}
      <span className="muted small">
        <Info size={13} aria-hidden /> {AGENT[caps.guestAgent] ?? caps.guestAgent} · libvirt {caps.libvirtVersion}
      </span>
    </div>
  );
}

/** Whether the VM can take any snapshot now. */
export function anyPossible(caps: SnapshotCapabilities | undefined): boolean {
  return caps !== undefined && (caps.memory.possible || caps['disk-only'].possible);
}
