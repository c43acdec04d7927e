// Snapshot schedules: every policy, one VM's (with the snapshots policies
// took of it and its pins), and a schedule's preview in words with its
// next runs. "schedule" events invalidate them (events.ts).

import { queryOptions, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { SchedulePolicy, SchedulePolicySpec } from '../../api/types';
import { qk } from '../keys';
import type { MutationCallbacks } from '../mutation';

export interface ScheduleList {
  policies: SchedulePolicy[];
  /** The server's time zone (IANA name, or "Local"). */
  timeZone: string;
}

export interface VMSchedules {
  policies: SchedulePolicy[];
  owned: { host: string; uuid: string; name: string; created: string; policy: string; consistency?: string }[];
  pins: { host: string; uuid: string; name: string; created: string }[];
}

export interface SchedulePreview {
  scheduleText: string;
  next: string[];
  timeZone: string;
}

const vmPath = (host: string, uuid: string) => `/api/v1/hosts/${encodeURIComponent(host)}/vms/${encodeURIComponent(uuid)}`;

export function schedulesQuery() {
  return queryOptions({
    queryKey: qk.schedules,
    queryFn: async ({ signal }) => {
      // Lists may come as null from the Go server: read defensively.
      const r = await api<Omit<ScheduleList, 'policies'> & { policies: SchedulePolicy[] | null }>('/api/v1/schedules', { signal });
      return { ...r, policies: r.policies ?? [] };
    },
    staleTime: 30_000,
  });
}

export const useSchedules = () => useQuery(schedulesQuery());

export function useVMSchedules(host: string, uuid: string) {
  return useQuery({
    queryKey: qk.vmSchedules(host, uuid),
    queryFn: async ({ signal }) => {
      const r = await api<{ [K in keyof VMSchedules]: VMSchedules[K] | null }>(`${vmPath(host, uuid)}/schedules`, { signal });
      return { policies: r.policies ?? [], owned: r.owned ?? [], pins: r.pins ?? [] };
    },
    staleTime: 30_000,
  });
}

/** A schedule in words with its next 3 runs; nothing is asked for an empty schedule. */
export function useSchedulePreview(spec: string) {
  return useQuery({
    queryKey: qk.schedulePreview(spec),
    queryFn: ({ signal }) => api<SchedulePreview>(`/api/v1/schedules/preview?schedule=${encodeURIComponent(spec)}&count=3`, { signal }),
    enabled: spec.trim() !== '',
    retry: false,
    staleTime: 30_000,
  });
}

/** Re-reads everything about schedules (they share the key prefix). */
export function invalidateSchedules(qc: QueryClient): Promise<void> {
  return qc.invalidateQueries({ queryKey: qk.schedules });
}

export function useSavePolicy(cb: MutationCallbacks<SchedulePolicy, { id?: string; spec: SchedulePolicySpec }> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, spec }: { id?: string; spec: SchedulePolicySpec }) =>
      id
        ? api<SchedulePolicy>(`/api/v1/schedules/${encodeURIComponent(id)}`, { method: 'PUT', body: spec })
        : api<SchedulePolicy>('/api/v1/schedules', { method: 'POST', body: spec }),
    onSuccess: (p, v) => {
      void invalidateSchedules(qc);
      cb.onSuccess?.(p, v);
    },
    onError: cb.onError,
  });
}

export function useDeletePolicy(cb: MutationCallbacks<unknown, string> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<unknown>(`/api/v1/schedules/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: (r, id) => {
      void invalidateSchedules(qc);
      cb.onSuccess?.(r, id);
    },
    onError: cb.onError,
  });
}

export function usePinSnapshot(host: string, uuid: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ name, pinned }: { name: string; pinned: boolean }) =>
      api<unknown>(`${vmPath(host, uuid)}/snapshots/${encodeURIComponent(name)}/pin`, { method: 'PUT', body: { pinned } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: qk.vmSchedules(host, uuid) }),
  });
}
