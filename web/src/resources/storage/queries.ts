// Storage pools and their volumes, per host (read on demand; no events
// patch them yet, so every change is followed by invalidatePools).

import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { qk } from '../keys';
import { poolsPath, volumesPath, type Pool, type Volume } from './model';

export function poolsQuery(host: string) {
  return queryOptions({
    queryKey: qk.pools(host),
    queryFn: async ({ signal }) => (await api<{ pools: Pool[] | null }>(poolsPath(host), { signal })).pools ?? [],
    enabled: host !== '',
  });
}

export function volumesQuery(host: string, pool: string, enabled = true) {
  return queryOptions({
    queryKey: qk.volumes(host, pool),
    queryFn: async ({ signal }) => (await api<{ volumes: Volume[] | null }>(volumesPath(host, pool), { signal })).volumes ?? [],
    enabled: enabled && host !== '' && pool !== '',
  });
}

/** Re-reads a host's pools and all their volumes (they share the key prefix). */
export function invalidatePools(qc: QueryClient, host: string): Promise<void> {
  return qc.invalidateQueries({ queryKey: qk.pools(host) });
}
