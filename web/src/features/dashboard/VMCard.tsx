// One VM on the dashboard: state, size, live CPU and memory sparklines, IP
// when known, a running operation's progress, and quick actions.

import { Camera, Cpu, MemoryStick } from 'lucide-react';
import { memo, useCallback } from 'react';
import { Link } from 'wouter';
import type { VM } from '../../api/types';
import type { Point } from '../../api/stats';
import { LiveSparkline, LiveText } from '../../components/LiveSparkline';
import { StateBadge } from '../../components/StateBadge';
import { Tip } from '../../components/IconButton';
import { formatKiB, formatPercent, formatVCPUs, plural } from '../../lib/format';
import { describeMemory } from '../../lib/memory';
import { useStore } from '../../lib/store';
import { isActive, vmHref, vmKey } from '../../resources/vm/model';
import { describeOperation, describeProgress } from '../operations/operations';
import { settingsStore } from '../settings/settings';
import { hasQuickActions, QuickActions } from '../vms/QuickActions';
import { useHistory } from '../vms/useSeries';
import { useRunningOperation } from '../vms/useRunningOperation';
import { VMThumbnail } from '../console/VMThumbnail';
import { useAccess } from '../security/useAccess';
import { primaryIP, sortedAddresses, sourceLabel } from '../networks/addresses';

const selectWindow = (s: { graphWindowMinutes: number }) => s.graphWindowMinutes * 60_000;

export const VMCard = memo(function VMCard({ vm, hostDown, pos, setSize }: { vm: VM; hostDown: boolean; pos?: number; setSize?: number }) {
  // The card itself subscribes to no stats: its sparklines and figures do
  // (LiveSparkline, LiveText), so a tick redraws only them.
  const key = vmKey(vm.host, vm.uuid);
  const active = isActive(vm.state);
  const windowMs = useStore(settingsStore, selectWindow);
  useHistory(vm.host, vm.uuid, active);
  const op = useRunningOperation(vm.host, vm.uuid);
  // Thumbnails are screenshots: only for roles that may see the console.
  const access = useAccess();
  const thumbnails = access.can('vm.console');
  // The guest's use is drawn against what it has: the VM's memory.
  const vmKiB = vm.memoryKiB || vm.memoryMaxKiB;
  const stats = vm.stats;
  const cpuText = useCallback((p: Point | undefined) => ({ text: formatPercent(p?.cpu ?? stats?.cpuPercent) }), [stats]);
  const memText = useCallback(
    (p: Point | undefined) =>
      p
        ? describeMemory({ usedKiB: p.mem, totalKiB: p.memTotal, rssKiB: p.rss }, vmKiB)
        : describeMemory({ usedKiB: stats?.memoryUsedKiB, totalKiB: stats?.memoryTotalKiB, rssKiB: stats?.memoryRssKiB }, vmKiB),
    [stats, vmKiB],
  );
  return (
    <article
      className={`vm-card${hostDown ? ' is-stale' : ''}${hasQuickActions(access) ? '' : ' vm-card-readonly'}`}
      aria-label={vm.name}
      aria-posinset={pos}
      aria-setsize={setSize}
      data-vm-key={vmKey(vm.host, vm.uuid)}
    >
      {op && (
        <div
          className="card-progress"
          role="progressbar"
          aria-label={describeOperation(op)}
          aria-valuenow={op.progress.percent}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <span style={{ width: `${op.progress.percent ?? 5}%` }} />
        </div>
      )}
      <header className="vm-card-head">
        <Link href={vmHref(vm.host, vm.uuid)} className="vm-name" title={vm.title ?? vm.name}>
          {vm.name}
        </Link>
        {vm.template && <span className="badge badge-plain">Template</span>}
        {vm.snapshotCount > 0 && (
          <Tip text={plural(vm.snapshotCount, 'snapshot')}>
            <span className="badge" aria-label={plural(vm.snapshotCount, 'snapshot')}>
              <Camera size={12} aria-hidden /> {vm.snapshotCount}
            </span>
          </Tip>
        )}
      </header>
      <div className="vm-card-meta">
        <StateBadge state={vm.state} reason={vm.reason} />
        <span className="muted">
          {formatVCPUs(vm.vcpus)} · {formatKiB(vm.memoryMaxKiB)}
          {vm.domainType === 'qemu' ? ' · TCG' : ''}
        </span>
      </div>
      {active ? (
        <div className="vm-card-live">
          <div className="vm-card-graphs">
            <div className="metric">
              <Cpu size={13} aria-hidden className="metric-icon" />
              <LiveSparkline seriesKey={key} field="cpu" max={100} windowMs={windowMs} label={`CPU of ${vm.name}`} />
              <span className="sr-only">CPU</span>
              <LiveText seriesKey={key} text={cpuText} className="metric-value" testId="card-cpu" />
            </div>
            <div className="metric">
              <MemoryStick size={13} aria-hidden className="metric-icon" />
              <LiveSparkline seriesKey={key} field="mem" max={vmKiB} windowMs={windowMs} label={`Memory the guest uses of ${vm.name}`} />
              <span className="sr-only">Memory used</span>
              <LiveText seriesKey={key} text={memText} className="metric-value metric-mem" testId="card-memory" />
            </div>
          </div>
          {thumbnails && (vm.graphics?.length ?? 0) > 0 && <VMThumbnail host={vm.host} uuid={vm.uuid} name={vm.name} />}
        </div>
      ) : (
        <div className="vm-card-graphs vm-card-idle muted">Not running</div>
      )}
      <div className="vm-card-foot muted">
        {op ? (
          <span className="op-line" aria-live="polite">
            {describeOperation(op)} · {describeProgress(op)}
          </span>
        ) : vm.addresses && vm.addresses.length > 0 ? (
          <span className="mono vm-card-ip" title={sortedAddresses(vm).map((a) => `${a.ip} ${sourceLabel(a.source)}`).join('\n')}>
            {primaryIP(vm)}
            {vm.addresses.length > 1 ? ` +${vm.addresses.length - 1}` : ''}
          </span>
        ) : (
          <span>{hostDown ? 'Host unavailable' : ' '}</span>
        )}
      </div>
      <QuickActions vm={vm} disabled={hostDown} />
    </article>
  );
});
