// The VM's Console tab: its graphical console (noVNC, loaded only when a
// console opens).

import type { VM } from '../../api/types';
import { SpiceConsole, spiceOnly } from './spice/SpiceConsole';
import { VncConsole } from './VncConsole';

export default function ConsoleTab({ vm }: { vm: VM }) {
  // A VM with SPICE graphics only gets the SPICE console in the browser.
  if (spiceOnly(vm)) return <SpiceConsole vm={vm} fill="page" />;
  return <VncConsole vm={vm} fill="page" />;
}
