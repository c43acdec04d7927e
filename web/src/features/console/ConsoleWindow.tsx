// The graphical console in a window of its own (/popout/console/:host/:uuid).

import { Placeholder } from '../../components/Placeholder';
import { Monitor } from 'lucide-react';

export default function ConsoleWindow({ host, uuid }: { host: string; uuid: string }) {
  return (
    <Placeholder icon={<Monitor size={32} aria-hidden />} title="Graphical console">
      <p>
        The graphical console of {host}/{uuid} arrives in a later release of KVM Manager.
      </p>
    </Placeholder>
  );
}
