// Reading VMs: the list (all hosts) is read once and kept current by
// events (resources/events.ts).

import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { VM } from '../../api/types';
import { qk } from '../keys';
import { normalizeVM } from './model';

export const vmsQuery = queryOptions({
  queryKey: qk.vms,
  queryFn: async ({ signal }) => ((await api<{ vms: VM[] | null }>('/api/v1/vms', { signal })).vms ?? []).map(normalizeVM),
});

export function useVMs() {
  return useQuery(vmsQuery);
}
