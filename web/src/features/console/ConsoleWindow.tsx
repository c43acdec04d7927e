// The graphical console in a window of its own (/popout/console/:host/:uuid).

import { PopoutWindow } from '../vms/PopoutWindow';
import { displayFromSearch } from './displays/DisplayMenu';
import { SpiceConsole, spiceOnly } from './spice/SpiceConsole';
import { VncConsole } from './VncConsole';
import './console.css';

export default function ConsoleWindow({ host, uuid }: { host: string; uuid: string }) {
  return (
    <PopoutWindow host={host} uuid={uuid} title="Console" kind="graphical console">
      {(vm) => {
        const display = displayFromSearch(window.location.search);
        return spiceOnly(vm) && display === 0 ? <SpiceConsole vm={vm} fill="parent" /> : <VncConsole vm={vm} fill="parent" display={display} />;
      }}
    </PopoutWindow>
  );
}
