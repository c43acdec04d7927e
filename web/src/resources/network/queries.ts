// Reading virtual networks: a host's list, read when shown and after each
// change (networks send no events), and one network with its DHCP leases.

import { queryOptions } from '@tanstack/react-query';
import { api } from '../../api/client';
import { qk } from '../keys';
import { networkPath, networksPath, type Network } from './model';

export const networksKey = qk.networks;
export const networkKey = qk.network;

export function networksQuery(host: string) {
  return queryOptions({
    queryKey: qk.networks(host),
    queryFn: async ({ signal }) => (await api<{ networks: Network[] | null }>(networksPath(host), { signal })).networks ?? [],
  });
}

/** One network with its leases, always read again when shown. */
export function networkQuery(host: string, name: string) {
  return queryOptions({
    queryKey: qk.network(host, name),
    queryFn: ({ signal }) => api<Network>(networkPath(host, name), { signal }),
    staleTime: 0,
  });
}
