// The serial console in a window of its own (/popout/serial/:host/:uuid).

import { PopoutWindow } from '../vms/PopoutWindow';
import { SerialConsole } from './SerialConsole';
import './serial.css';

export default function SerialWindow({ host, uuid }: { host: string; uuid: string }) {
  return (
    <PopoutWindow host={host} uuid={uuid} title="Serial console" kind="serial console">
      {(vm) => <SerialConsole vm={vm} fill="parent" />}
    </PopoutWindow>
  );
}
