// The serial console's WebSocket protocol, as pure functions: reading the
// server's control messages, cutting keyboard input into frames the server
// accepts, reconnect pacing, and what each close code means.

import type { SerialServerMessage, SerialState } from '../../api/types';

/** The largest input frame the server accepts; a larger one closes the socket (1009). */
export const MAX_INPUT_FRAME = 4096;

/**
 * The largest paste sent at once. The server paces input to 32 KiB/s after a
 * 64 KiB burst, and a guest's line discipline holds only 4 KiB of a line:
 * more than this is a file transfer, not a paste.
 */
export const MAX_PASTE_BYTES = 64 * 1024;

/** Reconnect delays: 1 s doubling up to 30 s, ±20 % so that many tabs do not retry in step. */
export const RETRY_MIN_MS = 1000;
export const RETRY_MAX_MS = 30_000;

/** A connection that lasted this long counts as healthy: the next drop retries quickly again. */
export const HEALTHY_MS = 10_000;

/** WebSocket close codes of the serial console. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_TOO_SLOW = 4000;
export const CLOSE_VM_REMOVED = 4004;

const STATES: readonly SerialState[] = ['connecting', 'connected', 'reopened', 'vm-stopped', 'held-by-other', 'no-serial-console', 'unavailable'];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Reads a text message from the server. Anything that is not one of the
 * known messages, well formed, is null: a newer server may say more, and a
 * broken message must not break the page.
 */
export function parseServerMessage(text: string): SerialServerMessage | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as Record<string, unknown>;
  switch (o.type) {
    case 'scrollback-start':
      return { type: 'scrollback-start', bytes: typeof o.bytes === 'number' ? o.bytes : 0, truncated: o.truncated === true };
    case 'scrollback-end':
      return { type: 'scrollback-end' };
    case 'status': {
      const state = STATES.find((s) => s === o.state);
      if (!state) return null;
      const m: SerialServerMessage = { type: 'status', state };
      const message = str(o.message);
      const hint = str(o.hint);
      if (message) m.message = message;
      if (hint) m.hint = hint;
      return m;
    }
    case 'error':
      return { type: 'error', code: str(o.code) ?? 'error', message: str(o.message) ?? '' };
    default:
      return null;
  }
}

const encoder = new TextEncoder();

/**
 * Encodes keyboard input as UTF-8 and cuts it into frames of at most max
 * bytes, never inside a character. A keystroke or a terminal report (such
 * as a cursor-position answer, which the server recognises only as a frame
 * of its own) stays one frame.
 */
export function inputFrames(data: string, max = MAX_INPUT_FRAME): Uint8Array[] {
  const bytes = encoder.encode(data);
  return cutFrames(bytes, max);
}

/** Cuts bytes into frames of at most max bytes, backing off UTF-8 continuation bytes. */
export function cutFrames(bytes: Uint8Array, max = MAX_INPUT_FRAME): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + max, bytes.length);
    if (end < bytes.length) {
      let cut = end;
      // 10xxxxxx continues a character: do not start the next frame there.
      while (cut > start && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
      if (cut > start) end = cut;
    }
    frames.push(bytes.subarray(start, end));
    start = end;
  }
  return frames;
}

/** xterm's onBinary data: one byte per character (e.g. old-style mouse reports). */
export function binaryBytes(data: string): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
  return out;
}

/** How long to wait before reconnect attempt number attempt (0 first). */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** What to do after the socket closed with code. */
export interface CloseDisposition {
  /** now: reconnect at once; backoff: after retryDelay; never: the console is gone. */
  retry: 'now' | 'backoff' | 'never';
  /** Why, for the status line ("Disconnected: …"). */
  reason: string;
}

export function closeDisposition(code: number, reason = ''): CloseDisposition {
  switch (code) {
    case CLOSE_VM_REMOVED:
      return { retry: 'never', reason: 'the VM was deleted' };
    case CLOSE_TOO_SLOW:
      return { retry: 'now', reason: 'this window fell behind the console output' };
    case CLOSE_GOING_AWAY:
      return { retry: 'backoff', reason: 'KVM Manager is restarting' };
    case CLOSE_TOO_BIG:
      return { retry: 'backoff', reason: 'the server refused input that was too large' };
    case 1000:
      return { retry: 'backoff', reason: reason || 'the server closed the console' };
    default:
      return { retry: 'backoff', reason: 'the connection to KVM Manager was lost' };
  }
}

/** The command that tells the guest the terminal's size (a serial line cannot carry it). */
export function sttyCommand(cols: number, rows: number): string {
  return `stty rows ${rows} cols ${cols}`;
}
