// Hooks onto the stats store: one VM's series, and fetching its history
// once (a few at a time, and only for graphs that stay on screen).

import { useEffect, useSyncExternalStore } from 'react';
import { api, vmPath } from '../../api/client';
import { statsStore, type Point } from '../../api/stats';
import type { Sample } from '../../api/types';
import { vmKey } from '../../resources/vm/model';

export function useSeries(key: string): readonly Point[] {
  return useSyncExternalStore(
    (cb) => statsStore.subscribe(key, cb),
    () => statsStore.snapshot(key),
  );
}

/** Series whose history is being fetched. */
const fetching = new Set<string>();
const queue: (() => Promise<void>)[] = [];
let inFlight = 0;
const CONCURRENCY = 3;

function pump(): void {
  while (inFlight < CONCURRENCY && queue.length > 0) {
    const job = queue.shift();
    if (!job) return;
    inFlight++;
    void job().finally(() => {
      inFlight--;
      pump();
    });
  }
}

/**
 * Forgets the history fetches queued or on their way, for when the stats
 * store is cleared (logout): the store then needs every history again, and
 * the next session loads them.
 */
export function forgetHistory(): void {
  fetching.clear();
  queue.length = 0;
}

/**
 * Loads a VM's recent samples into the stats store when the store lacks
 * them (never loaded, dropped while off screen, or cleared at logout).
 */
export function loadHistory(host: string, uuid: string): void {
  const key = vmKey(host, uuid);
  if (fetching.has(key) || !statsStore.needsHistory(key)) return;
  fetching.add(key);
  queue.push(async () => {
    try {
      const res = await api<{ samples: Sample[] | null }>(`${vmPath(host, uuid)}/stats`);
      statsStore.seed(key, res.samples ?? []);
    } catch {
      // try again next time it is shown
    } finally {
      fetching.delete(key);
    }
  });
  pump();
}

/** Loads a VM's history if its graph stays mounted for a moment (not while scrolling past). */
export function useHistory(host: string, uuid: string, active: boolean, delayMs = 250): void {
  useEffect(() => {
    if (!active) return;
    const t = setTimeout(() => loadHistory(host, uuid), delayMs);
    return () => clearTimeout(t);
  }, [host, uuid, active, delayMs]);
}
