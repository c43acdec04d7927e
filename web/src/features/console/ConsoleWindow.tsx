// The graphical console in a window of its own (/popout/console/:host/:uuid).

import { PopoutWindow } from '../vms/PopoutWindow';
import { SpiceConsole, spiceOnly } from './spice/SpiceConsole';
import { VncConsole } from './VncConsole';
import './console.css';

export default function ConsoleWindow({ host, uuid }: { host: string; uuid: string }) {
  return (
    <PopoutWindow host={host} uuid={uuid} title="Console" kind="graphical console">
      {(vm) => (spiceOnly(vm) ? <SpiceConsole vm={vm} fill="parent" /> : <VncConsole vm={vm} fill="parent" />)}
    </PopoutWindow>
  );
}
