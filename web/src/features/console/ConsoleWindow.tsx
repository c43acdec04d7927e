// The graphical console in a window of its own (/popout/console/:host/:uuid):
// the VM's name and state, and the console filling the rest.

import { useVMs } from '../../api/queries';
import { ErrorNote } from '../../components/ErrorNote';
import { StateBadge } from '../../components/StateBadge';
import { useTitle } from '../../components/useTitle';
import { VncConsole } from './VncConsole';
import './console.css';

export default function ConsoleWindow({ host, uuid }: { host: string; uuid: string }) {
  const vms = useVMs();
  const vm = vms.data?.find((v) => v.host === host && v.uuid === uuid.toLowerCase());
  useTitle(vm ? `${vm.name} · Console` : 'Console');
  if (vms.isPending) {
    return (
      <div className="vnc-window muted" role="status">
        Loading…
      </div>
    );
  }
  if (!vm) {
    return (
      <div className="vnc-window">
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
    <div className="vnc-window">
      <div className="vnc-window-head">
        <h1>{vm.name}</h1>
        <StateBadge state={vm.state} reason={vm.reason} />
        <span className="muted small">graphical console · on {vm.host}</span>
      </div>
      <VncConsole vm={vm} fill="parent" />
    </div>
  );
}
