// Logging out: end the session on the server, forget everything this tab
// held for it, and go to the login page. Also what revoking one's own
// session ends with.

import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { toast } from 'sonner';
import { useLocation } from 'wouter';
import { statsStore } from '../../api/stats';
import { forgetSession, logOut } from '../../resources/session/queries';
import { forgetHistory } from '../vms/useSeries';

/** Returns logout(callServer): callServer false when the session is gone already (revoked). */
export function useLogout(): (callServer?: boolean, message?: string) => Promise<void> {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  return useCallback(
    async (callServer = true, message = 'Logged out') => {
      if (callServer) await logOut();
      statsStore.clear();
      forgetHistory();
      forgetSession(qc);
      navigate('/login', { replace: true });
      toast.success(message);
    },
    [qc, navigate],
  );
}
