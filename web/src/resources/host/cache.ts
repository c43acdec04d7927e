// The host list in the cache.

import type { QueryClient } from '@tanstack/react-query';
import type { Host } from '../../api/types';
import { qk } from '../keys';
import { patchCached } from '../patch';

/** Inserts or replaces a host, keeping the order the server gave. */
export function upsertHost(list: readonly Host[] | undefined, host: Host): Host[] {
  const prev = list ?? [];
  const i = prev.findIndex((h) => h.name === host.name);
  if (i < 0) return [...prev, host];
  const next = prev.slice();
  next[i] = host;
  return next;
}

/** Puts a host into the cached list; returns the host as it was before (undefined if new). */
export function putHost(qc: QueryClient, host: Host): Host | undefined {
  const before = qc.getQueryData<Host[]>(qk.hosts)?.find((x) => x.name === host.name);
  patchCached<Host[]>(qc, qk.hosts, (list) => upsertHost(list, host));
  return before;
}

/** Takes a removed host out of the cached list. */
export function dropHost(qc: QueryClient, name: string): void {
  patchCached<Host[]>(qc, qk.hosts, (list) => list?.filter((x) => x.name !== name));
}
