// The heading of one host's group of VMs: its connection state and, when
// it is not connected, why and when it tries again.

import { Server } from 'lucide-react';
import type { HostState } from '../../api/types';
import { formatIn, plural } from '../../lib/format';
import type { HostGroup } from '../../resources/vm/model';
import { useRelativeNow } from '../../components/useNow';

export const HOST_STATE_LABEL: Record<HostState, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  reconnecting: 'Reconnecting',
  failed: 'Failed',
  untrusted: 'Key not approved',
  host_key_changed: 'Key changed',
};

export function HostHeader({ group, filtered }: { group: HostGroup; filtered: boolean }) {
  const info = group.info;
  const down = info && info.state !== 'connected';
  const now = useRelativeNow(down ? info.nextRetry : undefined);
  return (
    <div className={`host-head${down ? ' is-down' : ''}`}>
      <h2 className="host-name">
        <Server size={16} aria-hidden /> {group.host}
      </h2>
      {info && <span className={`host-state host-${info.state}`}>{HOST_STATE_LABEL[info.state]}</span>}
      <span className="muted host-count">
        {filtered ? `${group.vms.length} of ${plural(group.total, 'VM')}` : plural(group.total, 'VM')}
      </span>
      {down && (
        <span className="host-reason" role="status" title={info.error}>
          {info.error ?? (info.state === 'connecting' ? 'connecting to libvirt…' : 'not connected')}
          {info.nextRetry ? ` · next try ${formatIn(info.nextRetry, now)}` : ''}
          {group.total > 0 ? ' · its VMs may be out of date' : ''}
        </span>
      )}
    </div>
  );
}
