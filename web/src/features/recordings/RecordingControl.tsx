// The console toolbar's Record button and the "Recording" mark, which
// every viewer of a VM's console sees while any of its consoles records
// ("recording" events keep it current).

import { Circle, Square } from 'lucide-react';
import { toast } from 'sonner';
import { ApiError } from '../../api/client';
import { sentence } from '../../lib/format';
import { ToolButton } from '../console/ConsoleTools';
import { useRecordingStatus, useRecordingToggle } from './queries';
import './recordings.css';

export function RecordingControl({ host, uuid, live }: { host: string; uuid: string; live: boolean }) {
  const st = useRecordingStatus(host, uuid, live);
  const toggle = useRecordingToggle(host, uuid);
  const on = st.data?.recording ?? false;
  const click = () =>
    toggle.mutate(!on, {
      onError: (err) => toast.error(sentence(err.message), { description: err instanceof ApiError && err.hint ? sentence(err.hint) : undefined }),
    });
  return (
    <>
      {on && (
        <span className="rec-mark" role="status" title={st.data?.by ? `Recording, started by ${st.data.by}` : 'Recording'}>
          <Circle size={10} aria-hidden fill="currentColor" /> Recording
        </span>
      )}
      {!on && st.data?.ended && (
        // A recording that ended by itself (a limit, the disk falling behind) says why.
        <span className="rec-ended" role="status" title={sentence(st.data.ended)}>
          Recording ended
        </span>
      )}
      <ToolButton
        showLabel="wide"
        label={on ? 'Stop recording' : 'Record'}
        tip={on ? 'Stop recording this console' : 'Record this console (screen and input) on the server'}
        aria-pressed={on}
        disabled={!live || toggle.isPending}
        onClick={click}
      >
        {on ? <Square size={16} aria-hidden /> : <Circle size={16} aria-hidden />}
      </ToolButton>
    </>
  );
}
