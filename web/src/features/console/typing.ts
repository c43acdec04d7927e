// Sending key events to the guest at a pace its keyboard keeps up with:
// QEMU queues key events, and a PS/2 guest reads them one by one.

import type { KeyEventSpec } from './keys';

/** The most characters "Type text" sends at once: typing is for commands and passwords, not files. */
export const MAX_TYPE_CHARS = 20_000;

export interface KeySink {
  sendKey(keysym: number, code: string | null, down: boolean): void;
}

/** Events per batch, and the pause between batches of the first BURST events. */
const BATCH = 8;
const PAUSE_MS = 12;
/**
 * QEMU's VNC server passes key events on one every 10 ms (its key-delay-ms)
 * and queues at most 1024 entries, three per key event (the event, a sync,
 * the delay): what comes beyond is dropped. Sent faster, a long text lost
 * its end, a modifier's release included (measured by test/e2e/keymap.spec.ts:
 * a 412-event text lost its last keys and left AltGr down in the guest). So
 * only the first BURST events go at the fast pace (QEMU's queue holds them
 * with room for a second run at once), the rest at SLOW_PAUSE_MS per batch,
 * about 90 events a second: no faster than QEMU types them anyway.
 */
const BURST = 120;
const SLOW_PAUSE_MS = 88;

/**
 * Sends events in small batches, at a pace QEMU keeps up with (see BURST).
 * progress(done, total) follows; the
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
      if (i < events.length) await sleep(i < BURST ? PAUSE_MS : SLOW_PAUSE_MS);
    }
    return true;
  })();
}
