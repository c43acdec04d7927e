// Hooks onto the stats store: one VM's series, and fetching its history
// once (a few at a time, and only for graphs that stay on screen).

import { useEffect, useSyncExternalStore } from 'react';
import { api, vmPath } from '../../api/client';
import { statsStore, type Point } from '../../api/stats';
import type { Sample } from '../../api/types';
import { vmKey } from '../../lib/vm';

export function useSeries(key: string): readonly Point[] {
  return useSyncExternalStore(
    (cb) => statsStore.subscribe(key, cb),
    () => statsStore.snapshot(key),
  );
}

const fetched = new Set<string>();
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
 * Forgets which histories were loaded (and drops those still queued), for
 * when the stats store is cleared (logout): the next session loads them again.
 */
export function forgetHistory(): void {
  fetched.clear();
  queue.length = 0;
}

/** Loads a VM's recent samples into the stats store, once per page load. */
export function loadHistory(host: string, uuid: string): void {
  const key = vmKey(host, uuid);
  if (fetched.has(key)) return;
  fetched.add(key);
  queue.push(async () => {
    try {
      const res = await api<{ samples: Sample[] | null }>(`${vmPath(host, uuid)}/stats`);
      statsStore.seed(key, res.samples ?? []);
    } catch {
      fetched.delete(key); // try again next time it is shown
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
