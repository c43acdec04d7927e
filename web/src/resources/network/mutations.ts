// Changing virtual networks. Networks send no events, so each change is
// followed by a re-read of the host's list.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { qk } from '../keys';
import type { MutationCallbacks } from '../mutation';
import { networkPath, networksPath, type CreateNetworkRequest, type Network } from './model';

export type NetworkAction = 'start' | 'stop' | 'delete';

/** Start, stop or delete a network; the list is re-read when it ends, failed or not. */
export function useNetworkAction(host: string, cb: MutationCallbacks<unknown, { name: string; action: NetworkAction }> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ name, action }: { name: string; action: NetworkAction }) =>
      action === 'delete' ? api<unknown>(networkPath(host, name), { method: 'DELETE' }) : api<Network>(`${networkPath(host, name)}/${action}`, { method: 'POST' }),
    onSuccess: cb.onSuccess,
    onError: cb.onError,
    onSettled: () => qc.invalidateQueries({ queryKey: qk.networks(host) }),
  });
}

/** Creates a network on a host (chosen per call: the form lets the user pick it). */
export function useCreateNetwork(cb: MutationCallbacks<Network, { host: string; req: CreateNetworkRequest }> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ host, req }: { host: string; req: CreateNetworkRequest }) => api<Network>(networksPath(host), { method: 'POST', body: req }),
    onSuccess(res, vars) {
      void qc.invalidateQueries({ queryKey: qk.networks(vars.host) });
      cb.onSuccess?.(res, vars);
    },
    onError: cb.onError,
  });
}
