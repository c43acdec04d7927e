import { describe, expect, it } from 'vitest';
import { COMBO_GROUPS } from '../keys';
import { comboMessages, keyMessage, spiceKeyCode } from './scancodes';

describe('SPICE key messages', () => {
  it('encodes plain and extended scancodes as spice-server reads them', () => {
    expect(spiceKeyCode(0x1d, true)).toBe(0x1d);
    expect(spiceKeyCode(0x1d, false)).toBe(0x9d);
    // Delete: E0 53 down, E0 D3 up (bytes in order, little-endian).
    expect(spiceKeyCode(0x153, true)).toBe(0x53e0);
    expect(spiceKeyCode(0x153, false)).toBe(0xd3e0);
  });
  it('writes a mini header and the code', () => {
    const m = keyMessage(0x153, true);
    const b = new ArrayBuffer(m.buffer_size());
    m.to_buffer(b);
    expect([...new Uint8Array(b)]).toEqual([101, 0, 4, 0, 0, 0, 0xe0, 0x53, 0, 0]);
  });
  it('maps every combination of the Send keys menu', () => {
    for (const g of COMBO_GROUPS) {
      for (const c of g.combos) {
        const msgs = comboMessages(c.keys);
        expect(msgs, c.id).not.toBeNull();
        expect(msgs).toHaveLength(c.keys.length * 2);
      }
    }
  });
});
