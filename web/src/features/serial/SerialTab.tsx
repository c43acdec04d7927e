// The VM's Serial tab: its text console (xterm.js), loaded only when opened.

import { SquareTerminal } from 'lucide-react';
import type { VM } from '../../api/types';
import { Placeholder } from '../../components/Placeholder';

export default function SerialTab({ vm }: { vm: VM }) {
  return (
    <Placeholder icon={<SquareTerminal size={32} aria-hidden />} title="Serial console">
      <p>The serial console arrives in a later release of KVM Manager.</p>
      <p className="muted">{vm.serialConsole ? 'This VM has a serial console.' : 'This VM has no serial console configured.'}</p>
    </Placeholder>
  );
}
