// Says so when the server cannot be reached, and when it is back.

import { WifiOff } from 'lucide-react';
import { useEffect, useRef } from 'react';
import { toast } from 'sonner';
import { connection } from '../../api/events';
import { useNow } from '../../components/useNow';
import { formatDateTime } from '../../lib/format';
import { useStore } from '../../lib/store';

/** How long the stream may be down before the banner shows (page loads and brief blips stay quiet). */
const GRACE_MS = 1500;

export function ConnectionBanner() {
  const c = useStore(connection);
  const now = useNow(c.status === 'down' ? 500 : 0);
  const shown = c.status === 'down' && now - c.since >= GRACE_MS;
  const wasShown = useRef(false);
  useEffect(() => {
    if (shown) wasShown.current = true;
    if (c.status === 'open' && wasShown.current) {
      wasShown.current = false;
      toast.success('Connection to the server restored', { description: 'The lists were read again.' });
    }
  }, [shown, c.status]);
  if (!shown) return null;
  return (
    <div className="banner banner-bad" role="alert">
      <WifiOff size={16} aria-hidden />
      <span>
        <strong>The KVM Manager server cannot be reached.</strong> Reconnecting by itself…{' '}
        {c.lastOpen > 0 && <span className="muted">What you see is from {formatDateTime(c.lastOpen)} and may be out of date.</span>}
      </span>
    </div>
  );
}
