// The VM's Console tab: the graphical console (noVNC), loaded only when opened.

import { Monitor } from 'lucide-react';
import type { VM } from '../../api/types';
import { Placeholder } from '../../components/Placeholder';

export default function ConsoleTab({ vm }: { vm: VM }) {
  const graphics = vm.graphics ?? [];
  return (
    <Placeholder icon={<Monitor size={32} aria-hidden />} title="Graphical console">
      <p>The graphical console arrives in a later release of KVM Manager.</p>
      {graphics.length > 0 ? (
        <p className="muted">This VM has a {graphics.map((g) => g.type.toUpperCase()).join(' and ')} display.</p>
      ) : (
        <p className="muted">This VM has no graphical display configured.</p>
      )}
    </Placeholder>
  );
}
