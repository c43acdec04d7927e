// The VM's Console tab: its graphical console (noVNC, loaded only when a
// console opens).

import type { VM } from '../../api/types';
import { displayFromSearch } from './displays/DisplayMenu';
import { SpiceConsole, spiceOnly } from './spice/SpiceConsole';
import { VncConsole } from './VncConsole';

export default function ConsoleTab({ vm }: { vm: VM }) {
  // ?display=N shows another display head (the toolbar's display
  // selector), over its own VNC server.
  const display = displayFromSearch(window.location.search);
  // A VM with SPICE graphics only gets the SPICE console in the browser.
  if (spiceOnly(vm) && display === 0) return <SpiceConsole vm={vm} fill="page" />;
  return <VncConsole key={display} vm={vm} fill="page" display={display} />;
}
