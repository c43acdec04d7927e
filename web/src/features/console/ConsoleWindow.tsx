// The graphical console in a window of its own (/popout/console/:host/:uuid).

import { PopoutWindow } from '../vms/PopoutWindow';
import { VncConsole } from './VncConsole';
import './console.css';

export default function ConsoleWindow({ host, uuid }: { host: string; uuid: string }) {
  return (
    <PopoutWindow host={host} uuid={uuid} title="Console" kind="graphical console">
      {(vm) => <VncConsole vm={vm} fill="parent" />}
    </PopoutWindow>
  );
}
