// The VM page's rows about the guest's network addresses and its guest
// agent (inside the Overview's definition list).

import type { VM } from '../../api/types';
import { AddAgentChannel } from './AddAgentChannel';
import { agentLabel, sortedAddresses, sourceLabel } from './addresses';

/** dt/dd pairs for a VM's addresses and guest agent; nothing for a VM that is off. */
export function GuestFacts({ vm }: { vm: VM }) {
  const list = sortedAddresses(vm);
  const g = vm.guest;
  return (
    <>
      {list.length > 0 && (
        <>
          <dt>IP addresses</dt>
          <dd>
            <ul className="plain-list" aria-label="IP addresses">
              {list.map((a) => (
                <li key={`${a.ip}-${a.mac ?? ''}`}>
                  <span className="mono">
                    {a.ip}/{a.prefix}
                  </span>{' '}
                  <span className="muted small">
                    {a.interface ? `${a.interface}, ` : ''}
                    {sourceLabel(a.source)}
                  </span>
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
      {g && (
        <>
          <dt>Guest agent</dt>
          <dd data-agent={g.agent}>
            {agentLabel(g.agent)}
            {g.version ? <span className="muted"> (version {g.version})</span> : null}
            {g.agent === 'none' && (
              <>
                <span className="muted small"> (add a guest agent channel to the VM's definition to see its addresses and names)</span>
                <AddAgentChannel vm={vm} />
              </>
            )}
          </dd>
          {g.osName && (
            <>
              <dt>Guest OS</dt>
              <dd>{g.osName}</dd>
            </>
          )}
          {g.hostname && (
            <>
              <dt>Guest hostname</dt>
              <dd className="mono">{g.hostname}</dd>
            </>
          )}
        </>
      )}
    </>
  );
}
