// The one hook for what the signed-in user may do: `const { can, role } =
// useAccess(); can('vm.power')`. It reads the session the app already holds
// (GET /api/v1/session) and never fetches by itself.

import { useMemo } from 'react';
import { useCachedSession } from '../../resources/session/queries';
import { accessFor, type Access } from './access';

export function useAccess(): Access {
  // Only what the app's session check put in the cache.
  const session = useCachedSession();
  return useMemo(() => accessFor(session), [session]);
}
