// Storage pools and their volumes, per host (read on demand; no events
// patch them yet, so a change is followed by invalidatePools).

import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Pool, Volume } from '../../api/types';
import { qk } from '../keys';

const hostPath = (host: string) => `/api/v1/hosts/${encodeURIComponent(host)}`;

export function poolsQuery(host: string) {
  return queryOptions({
    queryKey: qk.pools(host),
    queryFn: async ({ signal }) => (await api<{ pools: Pool[] | null }>(`${hostPath(host)}/pools`, { signal })).pools ?? [],
    staleTime: 10_000,
  });
}

export function volumesQuery(host: string, pool: string) {
  return queryOptions({
    queryKey: qk.volumes(host, pool),
    queryFn: async ({ signal }) =>
      (await api<{ volumes: Volume[] | null }>(`${hostPath(host)}/pools/${encodeURIComponent(pool)}/volumes`, { signal })).volumes ?? [],
    staleTime: 10_000,
  });
}

/** Re-reads a host's pools and all their volumes (they share the key prefix). */
export function invalidatePools(qc: QueryClient, host: string): Promise<void> {
  return qc.invalidateQueries({ queryKey: qk.pools(host) });
}
