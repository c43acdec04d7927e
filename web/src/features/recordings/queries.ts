// Console recordings: a VM's recording status (the "Recording" mark), the
// list, one recording's details, and start/stop/delete. "recording" events
// invalidate the status and the list (resources/events.ts).

import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, vmPath } from '../../api/client';

export interface RecordingStatus {
  recording: boolean;
  since?: string;
  by?: string;
  ids: string[];
  consoles: number;
  keyframes: number;
  /** While nothing records: why the last recording ended by itself. */
  ended?: string;
}

export interface RecordingInfo {
  id: string;
  host: string;
  uuid: string;
  vmName: string;
  user: string;
  reason?: string;
  started: string;
  /** Seconds. */
  duration: number;
  size: number;
  active: boolean;
  keyframes: number;
}

export interface RecordingDetails extends RecordingInfo {
  /** Seconds; segment n plays from keyframe n to keyframe n + 1. */
  keyframeTimes: number[];
  /** The VNC server's ServerInit, base64. */
  serverInit: string;
}

export const recordingKeys = {
  all: ['recordings'] as const,
  status: (host: string, uuid: string) => ['recordings', 'status', host, uuid] as const,
  one: (id: string) => ['recordings', 'one', id] as const,
};

const statusPath = (host: string, uuid: string) => `${vmPath(host, uuid)}/console/recording`;

export function useRecordingStatus(host: string, uuid: string, enabled: boolean) {
  return useQuery({
    queryKey: recordingKeys.status(host, uuid),
    queryFn: ({ signal }) => api<RecordingStatus>(statusPath(host, uuid), { signal }),
    enabled,
    staleTime: 60_000,
  });
}

export function recordingsQuery() {
  return queryOptions({
    queryKey: recordingKeys.all,
    queryFn: async ({ signal }) => (await api<{ recordings: RecordingInfo[] | null }>('/api/v1/recordings', { signal })).recordings ?? [],
  });
}

export function recordingQuery(id: string) {
  return queryOptions({
    queryKey: recordingKeys.one(id),
    queryFn: ({ signal }) => api<RecordingDetails>(`/api/v1/recordings/${encodeURIComponent(id)}`, { signal }),
  });
}

export function useRecordingToggle(host: string, uuid: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (on: boolean) => api<RecordingStatus>(statusPath(host, uuid), { method: on ? 'POST' : 'DELETE' }),
    onSuccess: (st) => {
      qc.setQueryData(recordingKeys.status(host, uuid), st);
      void qc.invalidateQueries({ queryKey: recordingKeys.all, exact: true });
    },
  });
}

export function useDeleteRecording() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<undefined>(`/api/v1/recordings/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: recordingKeys.all }),
  });
}

export const recordingFileHref = (id: string) => `/api/v1/recordings/${encodeURIComponent(id)}/file`;
export const recordingSegmentHref = (id: string, n: number) => `/api/v1/recordings/${encodeURIComponent(id)}/segments/${n}`;
