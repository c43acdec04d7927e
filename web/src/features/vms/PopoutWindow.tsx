// The frame of a console in a window of its own (/popout/...): the VM's name
// and state above, the console filling the rest. The graphical and serial
// consoles share it.

import type { ReactNode } from 'react';
import type { VM } from '../../api/types';
import { useVMs } from '../../resources/vm/queries';
import { ErrorNote } from '../../components/ErrorNote';
import { StateBadge } from '../../components/StateBadge';
import { useTitle } from '../../components/useTitle';

export function PopoutWindow({ host, uuid, title, kind, children }: {
  host: string;
  uuid: string;
  /** The window title after the VM's name, e.g. "Console". */
  title: string;
  /** What the window shows, in words, e.g. "graphical console". */
  kind: string;
  children: (vm: VM) => ReactNode;
}) {
  const vms = useVMs();
  const vm = vms.data?.find((v) => v.host === host && v.uuid === uuid.toLowerCase());
  useTitle(vm ? `${vm.name} · ${title}` : title);
  if (vms.isPending) {
    return (
      <div className="popout-window muted" role="status">
        Loading…
      </div>
    );
  }
  if (!vm) {
    return (
      <div className="popout-window">
        <h1>VM not found</h1>
        {vms.isError ? (
          <ErrorNote error={vms.error} />
        ) : (
          <p>
            Host “{host}” has no VM with UUID <span className="mono">{uuid}</span>. It may have been deleted.
          </p>
        )}
      </div>
    );
  }
  return (
    <div className="popout-window">
      <div className="popout-window-head">
        <h1>{vm.name}</h1>
        <StateBadge state={vm.state} reason={vm.reason} />
        <span className="muted small">
          {kind} · on {vm.host}
        </span>
      </div>
      {children(vm)}
    </div>
  );
}
