// Reading hosts: the list is read once and kept current by `host` events.

import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Host } from '../../api/types';
import { qk } from '../keys';

export const hostsQuery = queryOptions({
  queryKey: qk.hosts,
  queryFn: async ({ signal }) => (await api<{ hosts: Host[] | null }>('/api/v1/hosts', { signal })).hosts ?? [],
});

export function useHosts() {
  return useQuery(hostsQuery);
}
