// PC (set 1) scancodes for the keys of the Send keys menu, and the SPICE
// key messages that carry them: spice-html5 maps the keys the user types
// itself, but has no way to send a combination the browser keeps (only
// Ctrl+Alt+Del, through a global variable).

import type { Key } from '../keys';

/** Set 1 scancodes by KeyboardEvent.code; 0x100 marks the extended (0xE0) keys. */
const SCANCODES: Record<string, number> = {
  Escape: 0x01,
  Backspace: 0x0e,
  Tab: 0x0f,
  Enter: 0x1c,
  ControlLeft: 0x1d,
  ShiftLeft: 0x2a,
  AltLeft: 0x38,
  Space: 0x39,
  F1: 0x3b,
  F2: 0x3c,
  F3: 0x3d,
  F4: 0x3e,
  F5: 0x3f,
  F6: 0x40,
  F7: 0x41,
  F8: 0x42,
  F9: 0x43,
  F10: 0x44,
  F11: 0x57,
  F12: 0x58,
  PrintScreen: 0x137,
  Pause: 0x145,
  Home: 0x147,
  ArrowUp: 0x148,
  PageUp: 0x149,
  ArrowLeft: 0x14b,
  ArrowRight: 0x14d,
  End: 0x14f,
  ArrowDown: 0x150,
  PageDown: 0x151,
  Insert: 0x152,
  Delete: 0x153,
  MetaLeft: 0x15b,
  ContextMenu: 0x15d,
};
// The letter rows, each from its first scancode.
for (const [row, first] of [
  ['QWERTYUIOP', 0x10],
  ['ASDFGHJKL', 0x1e],
  ['ZXCVBNM', 0x2c],
] as const) {
  for (let i = 0; i < row.length; i++) SCANCODES[`Key${row.charAt(i)}`] = first + i;
}

/** The scancode of a KeyboardEvent.code, or undefined. */
export function scancodeOf(code: string): number | undefined {
  return SCANCODES[code];
}

/**
 * The code field of a SPICE key message (SPICE_MSGC_INPUTS_KEY_DOWN/UP): the
 * scancode's bytes in order, little-endian (0xE0 first for extended keys),
 * with bit 7 set on release.
 */
export function spiceKeyCode(scancode: number, down: boolean): number {
  const sc = (scancode & 0xff) | (down ? 0 : 0x80);
  return scancode >= 0x100 ? 0xe0 | (sc << 8) : sc;
}

/** SPICE message types of the inputs channel. */
export const SPICE_MSGC_INPUTS_KEY_DOWN = 101;
export const SPICE_MSGC_INPUTS_KEY_UP = 102;

/** One SPICE key message with a mini header (type u16, size u32, code u32), as spice-html5 sends it. */
export function keyMessage(scancode: number, down: boolean): { buffer_size(): number; to_buffer(a: ArrayBuffer, at?: number): number } {
  return {
    buffer_size: () => 10,
    to_buffer(a: ArrayBuffer, at = 0) {
      const dv = new DataView(a);
      dv.setUint16(at, down ? SPICE_MSGC_INPUTS_KEY_DOWN : SPICE_MSGC_INPUTS_KEY_UP, true);
      dv.setUint32(at + 2, 4, true);
      dv.setUint32(at + 6, spiceKeyCode(scancode, down), true);
      return at + 10;
    },
  };
}

/** The key messages of a combination: every key down in order, then up in reverse; null if a key has no scancode. */
export function comboMessages(keys: readonly Key[]): ReturnType<typeof keyMessage>[] | null {
  const codes = keys.map((k) => scancodeOf(k.code));
  if (codes.some((c) => c === undefined)) return null;
  const sc = codes as number[];
  return [...sc.map((c) => keyMessage(c, true)), ...[...sc].reverse().map((c) => keyMessage(c, false))];
}
