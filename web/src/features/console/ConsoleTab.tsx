// The VM's Console tab: its graphical console (noVNC, loaded only when a
// console opens).

import type { VM } from '../../api/types';
import { VncConsole } from './VncConsole';

export default function ConsoleTab({ vm }: { vm: VM }) {
  return <VncConsole vm={vm} fill="page" />;
}
