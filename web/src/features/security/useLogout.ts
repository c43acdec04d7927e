// Logging out: end the session on the server, forget everything this tab
// held for it, and go to the login page. Also what revoking one's own
// session ends with.

import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { toast } from 'sonner';
import { useLocation } from 'wouter';
import { api, setCsrfToken } from '../../api/client';
import { qk } from '../../api/cache';
import { statsStore } from '../../api/stats';
import { forgetHistory } from '../vms/useSeries';

/** Returns logout(callServer): callServer false when the session is gone already (revoked). */
export function useLogout(): (callServer?: boolean, message?: string) => Promise<void> {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  return useCallback(
    async (callServer = true, message = 'Logged out') => {
      if (callServer) {
        try {
          await api('/api/v1/logout', { method: 'POST', quiet401: true });
        } catch {
          // Logged out already, or the server is away: forget the session here anyway.
        }
      }
      setCsrfToken(null);
      statsStore.clear();
      forgetHistory();
      qc.clear();
      qc.setQueryData(qk.session, null);
      navigate('/login', { replace: true });
      toast.success(message);
    },
    [qc, navigate],
  );
}
