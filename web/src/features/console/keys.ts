// Keys for the graphical console, as pure data and functions: X11 keysyms,
// the key combinations of the "Send keys" menu, text turned into keystrokes
// ("Type text"), and the shift fix for key events whose character needs a
// different Shift state than the one the browser reports.
//
// QEMU takes key events with a physical scancode (QEMU extended key events,
// which noVNC uses when the server offers them): the guest's own keyboard
// layout turns them into characters. Typing text therefore means pressing
// the keys a US keyboard would need (Shift included), which is right for
// guests with a US layout — the layout KVM Manager's "Type text" assumes.

/** X11 keysyms of the non-character keys used here. */
export const XK = {
  BackSpace: 0xff08,
  Tab: 0xff09,
  Return: 0xff0d,
  Pause: 0xff13,
  Sys_Req: 0xff15,
  Escape: 0xff1b,
  Home: 0xff50,
  Left: 0xff51,
  Up: 0xff52,
  Right: 0xff53,
  Down: 0xff54,
  Page_Up: 0xff55,
  Page_Down: 0xff56,
  End: 0xff57,
  Print: 0xff61,
  Insert: 0xff63,
  Menu: 0xff67,
  F1: 0xffbe,
  Shift_L: 0xffe1,
  Control_L: 0xffe3,
  Alt_L: 0xffe9,
  Super_L: 0xffeb,
  Delete: 0xffff,
  space: 0x20,
} as const;

/** One key: its keysym and its physical position (KeyboardEvent.code). */
export interface Key {
  keysym: number;
  code: string;
}

export const KEY = {
  ctrl: { keysym: XK.Control_L, code: 'ControlLeft' },
  alt: { keysym: XK.Alt_L, code: 'AltLeft' },
  shift: { keysym: XK.Shift_L, code: 'ShiftLeft' },
  meta: { keysym: XK.Super_L, code: 'MetaLeft' },
  del: { keysym: XK.Delete, code: 'Delete' },
  backspace: { keysym: XK.BackSpace, code: 'Backspace' },
  tab: { keysym: XK.Tab, code: 'Tab' },
  esc: { keysym: XK.Escape, code: 'Escape' },
  enter: { keysym: XK.Return, code: 'Enter' },
  print: { keysym: XK.Print, code: 'PrintScreen' },
  sysrq: { keysym: XK.Sys_Req, code: 'PrintScreen' },
  pause: { keysym: XK.Pause, code: 'Pause' },
  menu: { keysym: XK.Menu, code: 'ContextMenu' },
  home: { keysym: XK.Home, code: 'Home' },
  end: { keysym: XK.End, code: 'End' },
  pgup: { keysym: XK.Page_Up, code: 'PageUp' },
  pgdn: { keysym: XK.Page_Down, code: 'PageDown' },
  insert: { keysym: XK.Insert, code: 'Insert' },
  left: { keysym: XK.Left, code: 'ArrowLeft' },
  right: { keysym: XK.Right, code: 'ArrowRight' },
  up: { keysym: XK.Up, code: 'ArrowUp' },
  down: { keysym: XK.Down, code: 'ArrowDown' },
} satisfies Record<string, Key>;

/** Function key n (1–12). */
export function fkey(n: number): Key {
  if (!Number.isInteger(n) || n < 1 || n > 12) throw new RangeError(`no function key F${n}`);
  return { keysym: XK.F1 + n - 1, code: `F${n}` };
}

const letter = (c: string): Key => ({ keysym: c.charCodeAt(0), code: `Key${c.toUpperCase()}` });

/** A combination for the "Send keys" menu: the keys are pressed in order and released in reverse. */
export interface Combo {
  id: string;
  label: string;
  keys: Key[];
  hint?: string;
}

export interface ComboGroup {
  title: string;
  combos: Combo[];
}

const combo = (id: string, label: string, keys: Key[], hint?: string): Combo => (hint ? { id, label, keys, hint } : { id, label, keys });

export const COMBO_GROUPS: ComboGroup[] = [
  {
    title: 'System',
    combos: [
      combo('ctrl-alt-del', 'Ctrl+Alt+Del', [KEY.ctrl, KEY.alt, KEY.del], 'Log-in screen or reboot, as the guest decides'),
      combo('ctrl-alt-backspace', 'Ctrl+Alt+Backspace', [KEY.ctrl, KEY.alt, KEY.backspace], 'Restarts the X server where it is enabled'),
      combo('ctrl-shift-esc', 'Ctrl+Shift+Esc', [KEY.ctrl, KEY.shift, KEY.esc], 'Task manager (Windows)'),
      combo('alt-sysrq', 'Alt+SysRq', [KEY.alt, KEY.sysrq], 'Linux magic SysRq prefix: press a letter right after'),
      combo('print', 'Print Screen', [KEY.print]),
    ],
  },
  {
    title: 'Switch to virtual terminal (Linux)',
    combos: Array.from({ length: 12 }, (_, i) => combo(`ctrl-alt-f${i + 1}`, `Ctrl+Alt+F${i + 1}`, [KEY.ctrl, KEY.alt, fkey(i + 1)])),
  },
  {
    title: 'Windows and desktops',
    combos: [
      combo('alt-tab', 'Alt+Tab', [KEY.alt, KEY.tab]),
      combo('alt-f4', 'Alt+F4', [KEY.alt, fkey(4)]),
      combo('alt-f2', 'Alt+F2', [KEY.alt, fkey(2)], 'Run dialog (GNOME, KDE)'),
      combo('super', 'Super (Windows key)', [KEY.meta]),
      combo('super-l', 'Super+L', [KEY.meta, letter('l')], 'Lock the screen'),
      combo('super-r', 'Super+R', [KEY.meta, letter('r')], 'Run (Windows)'),
      combo('ctrl-esc', 'Ctrl+Esc', [KEY.ctrl, KEY.esc], 'Start menu (Windows)'),
    ],
  },
  {
    title: 'Single keys the browser keeps',
    combos: [
      combo('esc', 'Esc', [KEY.esc]),
      combo('tab', 'Tab', [KEY.tab]),
      combo('f1', 'F1', [fkey(1)]),
      combo('f5', 'F5', [fkey(5)]),
      combo('f11', 'F11', [fkey(11)]),
      combo('f12', 'F12', [fkey(12)], 'Boot menu in many firmwares'),
      combo('ctrl-w', 'Ctrl+W', [KEY.ctrl, letter('w')]),
      combo('ctrl-t', 'Ctrl+T', [KEY.ctrl, letter('t')]),
      combo('ctrl-n', 'Ctrl+N', [KEY.ctrl, letter('n')]),
      combo('ctrl-c', 'Ctrl+C', [KEY.ctrl, letter('c')]),
      combo('ctrl-d', 'Ctrl+D', [KEY.ctrl, letter('d')]),
      combo('ctrl-z', 'Ctrl+Z', [KEY.ctrl, letter('z')]),
    ],
  },
];

/** Finds a combination by id. */
export function findCombo(id: string): Combo | undefined {
  for (const g of COMBO_GROUPS) {
    const c = g.combos.find((x) => x.id === id);
    if (c) return c;
  }
  return undefined;
}

/** One key event to send: noVNC's sendKey(keysym, code, down). code null sends the keysym alone. */
export interface KeyEventSpec {
  keysym: number;
  code: string | null;
  down: boolean;
}

/** The key events of a combination: every key down in order, then up in reverse. */
export function comboEvents(keys: readonly Key[]): KeyEventSpec[] {
  const out: KeyEventSpec[] = keys.map((k) => ({ keysym: k.keysym, code: k.code, down: true }));
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i];
    if (k) out.push({ keysym: k.keysym, code: k.code, down: false });
  }
  return out;
}

// ---- US layout ----------------------------------------------------------

/** The US layout: physical key → [unshifted, shifted] character. */
const US_PAIRS: Record<string, readonly [string, string]> = {
  Backquote: ['`', '~'],
  Digit1: ['1', '!'],
  Digit2: ['2', '@'],
  Digit3: ['3', '#'],
  Digit4: ['4', '$'],
  Digit5: ['5', '%'],
  Digit6: ['6', '^'],
  Digit7: ['7', '&'],
  Digit8: ['8', '*'],
  Digit9: ['9', '('],
  Digit0: ['0', ')'],
  Minus: ['-', '_'],
  Equal: ['=', '+'],
  BracketLeft: ['[', '{'],
  BracketRight: [']', '}'],
  Backslash: ['\\', '|'],
  Semicolon: [';', ':'],
  Quote: ["'", '"'],
  Comma: [',', '<'],
  Period: ['.', '>'],
  Slash: ['/', '?'],
  Space: [' ', ' '],
};
for (let c = 0; c < 26; c++) {
  const lower = String.fromCharCode(97 + c);
  US_PAIRS[`Key${lower.toUpperCase()}`] = [lower, lower.toUpperCase()];
}

/** How to type a character on a US keyboard. */
export interface Stroke {
  keysym: number;
  code: string;
  shift: boolean;
}

const US_CHARS = new Map<string, Stroke>();
for (const [code, [plain, shifted]] of Object.entries(US_PAIRS)) {
  US_CHARS.set(plain, { keysym: plain.charCodeAt(0), code, shift: false });
  if (!US_CHARS.has(shifted)) US_CHARS.set(shifted, { keysym: shifted.charCodeAt(0), code, shift: true });
}
US_CHARS.set('\n', { keysym: XK.Return, code: 'Enter', shift: false });
US_CHARS.set('\t', { keysym: XK.Tab, code: 'Tab', shift: false });

/** The keysym of a character (X11: Latin-1 as is, other Unicode at 0x01000000 + code point). */
export function charKeysym(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  if (cp === 0x0a || cp === 0x0d) return XK.Return;
  if (cp === 0x09) return XK.Tab;
  return 0x01000000 + cp;
}

/** The US-keyboard stroke for a character, or null when a US keyboard has no key for it. */
export function usStroke(ch: string): Stroke | null {
  return US_CHARS.get(ch) ?? null;
}

/** A planned "Type text": the key events, and the characters a US keyboard cannot type. */
export interface TypingPlan {
  events: KeyEventSpec[];
  /** Characters sent as keysyms only: the guest may not get them. */
  untypable: string[];
  /** Characters in the text (CR LF counts as one). */
  chars: number;
}

/**
 * Turns text into key events for a guest with a US layout: Shift is pressed
 * around shifted characters (and released around unshifted ones if held),
 * line breaks become Enter. Characters without a US key are sent as a
 * keysym alone, which QEMU maps with its own keymap, and are listed.
 */
export function planTyping(text: string): TypingPlan {
  const events: KeyEventSpec[] = [];
  const untypable = new Set<string>();
  let chars = 0;
  const norm = text.replace(/\r\n?/g, '\n');
  for (const ch of norm) {
    chars++;
    const s = usStroke(ch);
    if (!s) {
      untypable.add(ch);
      const keysym = charKeysym(ch);
      events.push({ keysym, code: null, down: true }, { keysym, code: null, down: false });
      continue;
    }
    if (s.shift) events.push({ keysym: XK.Shift_L, code: 'ShiftLeft', down: true });
    events.push({ keysym: s.keysym, code: s.code, down: true }, { keysym: s.keysym, code: s.code, down: false });
    if (s.shift) events.push({ keysym: XK.Shift_L, code: 'ShiftLeft', down: false });
  }
  return { events, untypable: [...untypable], chars };
}

/**
 * The Shift fix for a key press on the console. The guest types what the
 * physical key and the Shift state give on its layout; a browser event can
 * carry a character whose US key needs the other Shift state (synthetic
 * input such as automation or on-screen keyboards: "$" on Digit4 without
 * Shift). When the US key of e.code, with Shift flipped, gives exactly
 * e.key, the press is sent with Shift flipped; otherwise (a real layout, a
 * non-character key, a modifier held) null: the press goes through as is.
 */
export function shiftFix(e: { key: string; code: string; shiftKey: boolean; ctrlKey: boolean; altKey: boolean; metaKey: boolean }): KeyEventSpec[] | null {
  if (e.ctrlKey || e.altKey || e.metaKey || !/^.$/u.test(e.key)) return null;
  const pair = US_PAIRS[e.code];
  if (!pair || e.code === 'Space') return null;
  const [plain, shifted] = pair;
  const now = e.shiftKey ? shifted : plain;
  const flipped = e.shiftKey ? plain : shifted;
  if (e.key === now || e.key !== flipped) return null;
  const keysym = charKeysym(e.key);
  const shift = { keysym: XK.Shift_L, code: 'ShiftLeft' };
  const press = [
    { keysym, code: e.code, down: true },
    { keysym, code: e.code, down: false },
  ];
  // Flip Shift around the press, and put it back as it was.
  return e.shiftKey
    ? [{ ...shift, down: false }, ...press, { ...shift, down: true }]
    : [{ ...shift, down: true }, ...press, { ...shift, down: false }];
}
