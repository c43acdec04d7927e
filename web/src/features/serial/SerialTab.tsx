// The VM's Serial tab: its text console (xterm.js), loaded only when opened.

import type { VM } from '../../api/types';
import { SerialConsole } from './SerialConsole';

export default function SerialTab({ vm }: { vm: VM }) {
  return <SerialConsole vm={vm} fill="page" />;
}
