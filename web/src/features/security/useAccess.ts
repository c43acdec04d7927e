// The one hook for what the signed-in user may do: `const { can, role } =
// useAccess(); can('vm.power')`. It reads the session the app already holds
// (GET /api/v1/session) and never fetches by itself.

import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { qk } from '../../api/cache';
import { fetchSession } from '../../api/queries';
import { accessFor, type Access } from './access';

export function useAccess(): Access {
  // enabled: false: only read what the app's session check put in the cache.
  const session = useQuery({ queryKey: qk.session, queryFn: fetchSession, enabled: false }).data;
  return useMemo(() => accessFor(session), [session]);
}
