// Sending key events to the guest at a pace its keyboard keeps up with:
// QEMU queues key events, and a PS/2 guest reads them one by one.

import type { KeyEventSpec } from './keys';

/** The most characters "Type text" sends at once: typing is for commands and passwords, not files. */
export const MAX_TYPE_CHARS = 20_000;

export interface KeySink {
  sendKey(keysym: number, code: string | null, down: boolean): void;
}

/** Events per batch and the pause between batches (~ 250 characters a second). */
const BATCH = 8;
const PAUSE_MS = 12;

/**
 * Sends events in small batches. progress(done, total) follows; the
 * promise ends when all are sent, or early (false) when signal aborts —
 * never with a key left down: an aborted run sends the releases it owes.
 */
export function sendPaced(
  sink: KeySink,
  events: readonly KeyEventSpec[],
  progress: (done: number, total: number) => void,
  signal?: AbortSignal,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<boolean> {
  return (async () => {
    const held = new Map<string, KeyEventSpec>();
    let i = 0;
    while (i < events.length) {
      if (signal?.aborted) {
        for (const k of held.values()) sink.sendKey(k.keysym, k.code, false);
        return false;
      }
      const end = Math.min(events.length, i + BATCH);
      for (; i < end; i++) {
        const e = events[i];
        if (!e) continue;
        sink.sendKey(e.keysym, e.code, e.down);
        const id = e.code ?? `keysym:${e.keysym}`;
        if (e.down) held.set(id, e);
        else held.delete(id);
      }
      progress(i, events.length);
      if (i < events.length) await sleep(PAUSE_MS);
    }
    return true;
  })();
}
