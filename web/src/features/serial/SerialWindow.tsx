// The serial console in a window of its own (/popout/serial/:host/:uuid).

import { SquareTerminal } from 'lucide-react';
import { Placeholder } from '../../components/Placeholder';

export default function SerialWindow({ host, uuid }: { host: string; uuid: string }) {
  return (
    <Placeholder icon={<SquareTerminal size={32} aria-hidden />} title="Serial console">
      <p>
        The serial console of {host}/{uuid} arrives in a later release of KVM Manager.
      </p>
    </Placeholder>
  );
}
