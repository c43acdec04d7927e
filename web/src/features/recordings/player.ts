// The recording player's engine: noVNC's own decoder (RFB) fed from a
// recorded stream through a fake WebSocket-like channel. A recording is
// played from a keyframe (a full update that needs no earlier decoder
// state): a fresh RFB gets a synthetic handshake (security None, a
// ServerInit with the keyframe's size and pixel format) and then the
// recorded server bytes at their times. Seeking starts a fresh RFB at the
// keyframe before the target time and feeds the bytes up to it at once.

/** Event types of a segment (the server's format, internal/console/recording). */
export const EV_SERVER = 1;
export const EV_INPUT = 2;
export const EV_KEYFRAME = 3;

export interface SegmentEvent {
  type: number;
  /** Milliseconds since the recording started. */
  at: number;
  data: Uint8Array;
}

/** Parses a segment answer: u8 type, u32 ms, u32 length, data; a cut-off tail is dropped. */
export function parseSegment(buf: ArrayBuffer): SegmentEvent[] {
  const dv = new DataView(buf);
  const out: SegmentEvent[] = [];
  let i = 0;
  while (i + 9 <= buf.byteLength) {
    const type = dv.getUint8(i);
    const at = dv.getUint32(i + 1);
    const len = dv.getUint32(i + 5);
    if (i + 9 + len > buf.byteLength) break;
    out.push({ type, at, data: new Uint8Array(buf, i + 9, len) });
    i += 9 + len;
  }
  return out;
}

export interface KeyframeInfo {
  width: number;
  height: number;
  pixelFormat: Uint8Array;
}

export function parseKeyframe(d: Uint8Array): KeyframeInfo | null {
  if (d.length < 20) return null;
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return { width: dv.getUint16(0), height: dv.getUint16(2), pixelFormat: d.slice(4, 20) };
}

/** A ServerInit for noVNC: size, pixel format and name. */
export function serverInit(k: KeyframeInfo, name: string): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const b = new Uint8Array(24 + nameBytes.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, k.width);
  dv.setUint16(2, k.height);
  b.set(k.pixelFormat.subarray(0, 16), 4);
  dv.setUint32(20, nameBytes.length);
  b.set(nameBytes, 24);
  return b;
}

/** One input event, decoded for the overlay. */
export type InputEvent =
  | { kind: 'key'; down: boolean; keysym: number; label: string }
  | { kind: 'pointer'; x: number; y: number; buttons: number };

const KEY_NAMES: Record<number, string> = {
  0xff08: 'Backspace', 0xff09: 'Tab', 0xff0d: 'Enter', 0xff1b: 'Esc', 0xffff: 'Delete', 0xff50: 'Home', 0xff51: '←', 0xff52: '↑',
  0xff53: '→', 0xff54: '↓', 0xff55: 'PgUp', 0xff56: 'PgDn', 0xff57: 'End', 0xffe1: 'Shift', 0xffe2: 'Shift', 0xffe3: 'Ctrl',
  0xffe4: 'Ctrl', 0xffe9: 'Alt', 0xffea: 'AltGr', 0xffeb: 'Super', 0xfe03: 'AltGr', 0x20: 'Space',
};

export function keyLabel(keysym: number): string {
  const named = KEY_NAMES[keysym];
  if (named) return named;
  if (keysym >= 0xffbe && keysym <= 0xffd5) return `F${keysym - 0xffbe + 1}`;
  if ((keysym >= 0x21 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff)) return String.fromCharCode(keysym);
  if (keysym >= 0x1000020 && keysym <= 0x110ffff) return String.fromCodePoint(keysym - 0x1000000);
  return `0x${keysym.toString(16)}`;
}

/** Decodes a recorded client message (KeyEvent, PointerEvent, QEMU extended KeyEvent). */
export function decodeInput(d: Uint8Array): InputEvent | null {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (d[0] === 4 && d.length === 8) {
    const keysym = dv.getUint32(4);
    return { kind: 'key', down: d[1] !== 0, keysym, label: keyLabel(keysym) };
  }
  if (d[0] === 5 && d.length === 6) return { kind: 'pointer', buttons: d[1] ?? 0, x: dv.getUint16(2), y: dv.getUint16(4) };
  if (d[0] === 255 && d[1] === 0 && d.length === 12) {
    const keysym = dv.getUint32(4);
    return { kind: 'key', down: dv.getUint16(2) !== 0, keysym, label: keyLabel(keysym) };
  }
  return null;
}

/**
 * A WebSocket-like channel for noVNC's RFB (Websock.attach checks these
 * properties): what noVNC sends is counted to drive the synthetic handshake
 * and otherwise dropped; `push` delivers server bytes.
 */
export class FakeChannel {
  binaryType = 'arraybuffer';
  protocol = '';
  readyState = 1; // OPEN: noVNC starts at once
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  onclose: ((e: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  sends = 0;
  onsend: ((n: number) => void) | null = null;

  send(): void {
    this.sends++;
    this.onsend?.(this.sends);
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code: 1000, reason: '', wasClean: true });
  }

  push(bytes: Uint8Array): void {
    if (this.readyState !== 1 || bytes.length === 0) return;
    // A copy: noVNC keeps the buffer it is given.
    const copy = bytes.slice().buffer;
    this.onmessage?.({ data: copy });
  }
}

/**
 * Drives noVNC's client handshake on a FakeChannel: version, security None,
 * result OK, then the ServerInit; `ready` resolves once noVNC sent its
 * ClientInit and has the ServerInit.
 */
export function fakeHandshake(ch: FakeChannel, init: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    // Each answer goes out after noVNC's send returned: noVNC sends before
    // it moves to its next state, and an answer delivered within send
    // would be read in the state before.
    const later = (b: Uint8Array, then?: () => void) =>
      setTimeout(() => {
        ch.push(b);
        then?.();
      }, 0);
    ch.onsend = (n) => {
      if (n === 1) later(new Uint8Array([1, 1])); // after its version: one security type, None
      else if (n === 2) later(new Uint8Array([0, 0, 0, 0])); // after its choice: OK
      else if (n === 3) {
        ch.onsend = null;
        later(init, resolve); // after ClientInit
      }
    };
    ch.push(new TextEncoder().encode('RFB 003.008\n'));
  });
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

/** The keyframe to start from to show time t (ms): the last at or before t. */
export function keyframeFor(times: readonly number[], tMs: number): number {
  let k = 0;
  for (let i = 0; i < times.length; i++) if ((times[i] ?? 0) * 1000 <= tMs) k = i;
  return k;
}
