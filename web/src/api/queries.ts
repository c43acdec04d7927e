// TanStack Query setup and the read hooks. Lists are fetched once and then
// kept current by events (staleTime Infinity: nothing polls); the event
// stream invalidates them on every reconnect.

import { QueryClient, queryOptions, useQuery } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken } from './client';
import { qk } from './cache';
import type { Host, Operation, Session, VM } from './types';
import { normalizeVM } from '../lib/vm';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: Infinity,
        gcTime: 10 * 60_000,
        refetchOnWindowFocus: false,
        refetchOnReconnect: true,
        retry: (count, err) => count < 3 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
        retryDelay: (n) => Math.min(1000 * 2 ** n, 8000),
      },
      mutations: { retry: false },
    },
  });
}

/** The current session, or null when logged out. Unreachable servers are retried until they answer. */
export async function fetchSession(): Promise<Session | null> {
  try {
    const s = await api<Session>('/api/v1/session', { quiet401: true });
    setCsrfToken(s.csrfToken);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw err;
  }
}

export function useSession() {
  return useQuery({
    queryKey: qk.session,
    queryFn: fetchSession,
    retry: (_, err) => err instanceof ApiError && err.unreachable,
    retryDelay: 2000,
    refetchInterval: (q) => (q.state.status === 'error' ? 3000 : false),
  });
}

export const hostsQuery = queryOptions({
  queryKey: qk.hosts,
  queryFn: async ({ signal }) => (await api<{ hosts: Host[] | null }>('/api/v1/hosts', { signal })).hosts ?? [],
});

export const vmsQuery = queryOptions({
  queryKey: qk.vms,
  queryFn: async ({ signal }) => ((await api<{ vms: VM[] | null }>('/api/v1/vms', { signal })).vms ?? []).map(normalizeVM),
});

export function useHosts() {
  return useQuery(hostsQuery);
}

export function useVMs() {
  return useQuery(vmsQuery);
}

export function useOperations<T = Operation[]>(select?: (ops: Operation[]) => T) {
  return useQuery({
    queryKey: qk.operations,
    queryFn: async ({ signal }) => (await api<{ operations: Operation[] | null }>('/api/v1/operations', { signal })).operations ?? [],
    select,
  });
}
