import { describe, expect, it } from 'vitest';
import { charKeysym, COMBO_GROUPS, comboEvents, findCombo, fkey, KEY, planTyping, shiftFix, usStroke, XK } from './keys';

const SHIFT_DOWN = { keysym: XK.Shift_L, code: 'ShiftLeft', down: true };
const SHIFT_UP = { keysym: XK.Shift_L, code: 'ShiftLeft', down: false };

describe('comboEvents', () => {
  it('presses in order and releases in reverse', () => {
    expect(comboEvents([KEY.ctrl, KEY.alt, KEY.del])).toEqual([
      { keysym: XK.Control_L, code: 'ControlLeft', down: true },
      { keysym: XK.Alt_L, code: 'AltLeft', down: true },
      { keysym: XK.Delete, code: 'Delete', down: true },
      { keysym: XK.Delete, code: 'Delete', down: false },
      { keysym: XK.Alt_L, code: 'AltLeft', down: false },
      { keysym: XK.Control_L, code: 'ControlLeft', down: false },
    ]);
  });

  it('offers Ctrl+Alt+Del, Ctrl+Alt+Backspace and Ctrl+Alt+F1 to F12', () => {
    expect(findCombo('ctrl-alt-del')?.label).toBe('Ctrl+Alt+Del');
    expect(findCombo('ctrl-alt-backspace')?.keys).toEqual([KEY.ctrl, KEY.alt, KEY.backspace]);
    for (let n = 1; n <= 12; n++) {
      const c = findCombo(`ctrl-alt-f${n}`);
      expect(c?.keys[2]).toEqual({ keysym: 0xffbe + n - 1, code: `F${n}` });
    }
    const ids = COMBO_GROUPS.flatMap((g) => g.combos.map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(findCombo('nope')).toBeUndefined();
  });

  it('knows only F1 to F12', () => {
    expect(fkey(12)).toEqual({ keysym: 0xffc9, code: 'F12' });
    expect(() => fkey(13)).toThrow(RangeError);
    expect(() => fkey(0)).toThrow(RangeError);
  });
});

describe('planTyping', () => {
  it('wraps shifted characters in Shift and keeps the others plain', () => {
    const p = planTyping('a$');
    expect(p.events).toEqual([
      { keysym: 0x61, code: 'KeyA', down: true },
      { keysym: 0x61, code: 'KeyA', down: false },
      SHIFT_DOWN,
      { keysym: 0x24, code: 'Digit4', down: true },
      { keysym: 0x24, code: 'Digit4', down: false },
      SHIFT_UP,
    ]);
    expect(p.untypable).toEqual([]);
    expect(p.chars).toBe(2);
  });

  it('types the test command with the right keys', () => {
    const cmd = 'echo $((6*7)) > /dev/ttyS1';
    const p = planTyping(cmd);
    const downs = p.events.filter((e) => e.down && e.code !== 'ShiftLeft');
    expect(downs.map((e) => String.fromCharCode(e.keysym)).join('')).toBe(cmd);
    // Shift is down exactly around $ ( ( * ) ) > S.
    expect(p.events.filter((e) => e.code === 'ShiftLeft' && e.down)).toHaveLength(8);
    expect(usStroke('(')).toEqual({ keysym: 0x28, code: 'Digit9', shift: true });
    expect(usStroke('>')).toEqual({ keysym: 0x3e, code: 'Period', shift: true });
    expect(usStroke('S')).toEqual({ keysym: 0x53, code: 'KeyS', shift: true });
    expect(usStroke(' ')).toEqual({ keysym: 0x20, code: 'Space', shift: false });
  });

  it('turns line breaks into Enter, CR LF once', () => {
    const p = planTyping('a\r\nb\nc\td');
    expect(p.events.filter((e) => e.code === 'Enter')).toHaveLength(4);
    expect(p.events.filter((e) => e.code === 'Tab')).toHaveLength(2);
    expect(p.chars).toBe(7);
  });

  it('sends characters without a US key as keysyms and lists them', () => {
    const p = planTyping('é€é');
    expect(p.untypable).toEqual(['é', '€']);
    expect(p.events[0]).toEqual({ keysym: 0xe9, code: null, down: true });
    expect(p.events[2]).toEqual({ keysym: 0x010020ac, code: null, down: true });
  });

  it('maps keysyms the X11 way', () => {
    expect(charKeysym('A')).toBe(0x41);
    expect(charKeysym('ß')).toBe(0xdf);
    expect(charKeysym('😀')).toBe(0x01000000 + 0x1f600);
    expect(charKeysym('\n')).toBe(XK.Return);
  });
});

describe('shiftFix', () => {
  const ev = (key: string, code: string, shiftKey = false, mods: Partial<{ ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {}) => ({
    key,
    code,
    shiftKey,
    ctrlKey: false,
    altKey: false,
    metaKey: false,
    ...mods,
  });

  it('adds Shift to a shifted character sent without it', () => {
    expect(shiftFix(ev('$', 'Digit4'))).toEqual([SHIFT_DOWN, { keysym: 0x24, code: 'Digit4', down: true }, { keysym: 0x24, code: 'Digit4', down: false }, SHIFT_UP]);
    expect(shiftFix(ev('S', 'KeyS'))?.[0]).toEqual(SHIFT_DOWN);
    expect(shiftFix(ev('>', 'Period'))?.[1]).toEqual({ keysym: 0x3e, code: 'Period', down: true });
  });

  it('releases Shift for an unshifted character sent with it', () => {
    expect(shiftFix(ev('4', 'Digit4', true))).toEqual([SHIFT_UP, { keysym: 0x34, code: 'Digit4', down: true }, { keysym: 0x34, code: 'Digit4', down: false }, SHIFT_DOWN]);
  });

  it('leaves real key presses alone', () => {
    expect(shiftFix(ev('$', 'Digit4', true))).toBeNull(); // US, Shift held
    expect(shiftFix(ev('e', 'KeyE'))).toBeNull();
    expect(shiftFix(ev('z', 'KeyY'))).toBeNull(); // German layout
    expect(shiftFix(ev('(', 'Digit5'))).toBeNull(); // French layout
    expect(shiftFix(ev('&', 'Digit6', true))).toBeNull(); // German layout
    expect(shiftFix(ev('Enter', 'Enter'))).toBeNull();
    expect(shiftFix(ev('$', 'Digit4', false, { ctrlKey: true }))).toBeNull();
    expect(shiftFix(ev(' ', 'Space'))).toBeNull();
  });
});
