// Changing hosts: add, edit, remove, approve a key, and the connection test
// before saving. A change re-reads the hosts and the VMs (a host's VMs come
// and go with it), then the caller's own onSuccess runs.

import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Host, HostKey, HostProbe } from '../../api/types';
import { qk } from '../keys';
import type { MutationCallbacks } from '../mutation';

const hostPath = (name: string) => `/api/v1/hosts/${encodeURIComponent(name)}`;

/** Re-reads the hosts and the VMs after a host changed. */
export function refreshHosts(qc: QueryClient): void {
  void qc.invalidateQueries({ queryKey: qk.hosts });
  void qc.invalidateQueries({ queryKey: qk.vms });
}

/** Stops managing a host (nothing on the host changes). */
export function useRemoveHost(cb: MutationCallbacks<unknown, Host> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (h: Host) => api(hostPath(h.name), { method: 'DELETE' }),
    onSuccess(res, h) {
      cb.onSuccess?.(res, h);
      refreshHosts(qc);
    },
    onError: cb.onError,
  });
}

/** Approves the SSH key a host presents. */
export function useTrustHost(cb: MutationCallbacks<unknown, { host: Host; key: HostKey }> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ host, key }: { host: Host; key: HostKey }) => api(`${hostPath(host.name)}/trust`, { method: 'POST', body: { fingerprint: key.fingerprint } }),
    onSuccess(res, vars) {
      cb.onSuccess?.(res, vars);
      refreshHosts(qc);
    },
    onError: cb.onError,
  });
}

/** Connects once to a URI and says what it found (nothing is saved). */
export function useTestHost(cb: MutationCallbacks<HostProbe, { name?: string; uri: string }> & { onMutate?: () => void } = {}) {
  return useMutation({
    mutationFn: (req: { name?: string; uri: string }) => api<HostProbe>('/api/v1/hosts/test', { method: 'POST', body: req }),
    onMutate: cb.onMutate,
    onSuccess: cb.onSuccess,
    onError: cb.onError,
  });
}

/**
 * Adds a host, or gives an existing one (`editing`) a new URI. The caller
 * re-reads (refreshHosts) when it has said so, as the page does.
 */
export function useSaveHost(editing: Host | undefined, cb: MutationCallbacks<Host, { name: string; uri: string }> = {}) {
  return useMutation({
    mutationFn: ({ name, uri }: { name: string; uri: string }) =>
      editing
        ? // A new name renames the host (the server refuses it for configured hosts).
          api<Host>(hostPath(editing.name), { method: 'PUT', body: name !== editing.name ? { name, uri } : { uri } })
        : api<Host>('/api/v1/hosts', { method: 'POST', body: { name, uri } }),
    onSuccess: cb.onSuccess,
    onError: cb.onError,
  });
}
