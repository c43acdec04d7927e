// "Type text" for guests whose keyboard layout is not US. The console sends
// physical keys (QEMU extended key events); the guest's layout makes them
// characters. So typing "@" on a German guest means AltGr+Q, and "é" the
// dead acute key and then E. The tables (layouts.json) are made from
// xkb-data by `go run ./cmd/keymapgen` and tested in internal/keymap; they
// are loaded when "Type text" first needs one.

import { charKeysym, planTyping, XK, type KeyEventSpec, type TypingPlan } from '../keys';

/** A guest layout "Type text" can type for (the xkb layout name). */
export interface GuestLayout {
  id: string;
  name: string;
}

/** The layouts there are tables for (as in internal/keymap.Layouts). */
export const GUEST_LAYOUTS: readonly GuestLayout[] = [
  { id: 'us', name: 'English (US)' },
  { id: 'gb', name: 'English (UK)' },
  { id: 'de', name: 'German' },
  { id: 'fr', name: 'French' },
  { id: 'es', name: 'Spanish' },
  { id: 'it', name: 'Italian' },
  { id: 'ch', name: 'Swiss German' },
  { id: 'se', name: 'Swedish' },
  { id: 'no', name: 'Norwegian' },
  { id: 'dk', name: 'Danish' },
  { id: 'fi', name: 'Finnish' },
  { id: 'pt', name: 'Portuguese' },
  { id: 'br', name: 'Portuguese (Brazil)' },
  { id: 'jp', name: 'Japanese' },
];

export function isGuestLayout(id: unknown): id is string {
  return typeof id === 'string' && GUEST_LAYOUTS.some((l) => l.id === id);
}

/** One layout's table: character → strokes ("Shift+AltGr+KeyQ"; two for a dead key and the key after it). */
export type LayoutTable = Readonly<Record<string, readonly string[]>>;

interface LayoutsFile {
  tables: Record<string, LayoutTable>;
}

let file: Promise<LayoutsFile> | null = null;

/** Loads a layout's table (the file once, on first use). */
export async function loadLayoutTable(id: string): Promise<LayoutTable> {
  file ??= import('./layouts.json').then((m) => m.default as LayoutsFile);
  const f = await file;
  const t = f.tables[id];
  if (!t) throw new Error(`no table for the keyboard layout ${id}`);
  return t;
}

const SHIFT = { keysym: XK.Shift_L, code: 'ShiftLeft' };
/** AltGr: the right Alt key, which layouts with a third level use for it (keysym ISO_Level3_Shift). */
const ALTGR = { keysym: 0xfe03, code: 'AltRight' };

/**
 * Turns text into key events for a guest with the layout of table: for each
 * character its strokes, each with Shift and AltGr held around the key as
 * the table says; line breaks press Enter, tabs Tab. A character the layout
 * cannot type is sent as a keysym alone (and listed), as planTyping does.
 * The key's keysym goes with the last stroke of a character (QEMU uses the
 * scancode; the keysym is for servers without scancodes), none with a dead
 * key's stroke.
 */
export function planTypingLayout(text: string, table: LayoutTable): TypingPlan {
  const events: KeyEventSpec[] = [];
  const untypable = new Set<string>();
  let chars = 0;
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    chars++;
    if (ch === '\n' || ch === '\t') {
      const k = ch === '\n' ? { keysym: XK.Return, code: 'Enter' } : { keysym: XK.Tab, code: 'Tab' };
      events.push({ ...k, down: true }, { ...k, down: false });
      continue;
    }
    const strokes = table[ch];
    if (!strokes || strokes.length === 0) {
      untypable.add(ch);
      const keysym = charKeysym(ch);
      events.push({ keysym, code: null, down: true }, { keysym, code: null, down: false });
      continue;
    }
    strokes.forEach((s, i) => {
      const parts = s.split('+');
      const code = parts[parts.length - 1] ?? '';
      const mods = [];
      if (parts.includes('Shift')) mods.push(SHIFT);
      if (parts.includes('AltGr')) mods.push(ALTGR);
      const keysym = i === strokes.length - 1 ? charKeysym(ch) : 0;
      for (const m of mods) events.push({ ...m, down: true });
      events.push({ keysym, code, down: true }, { keysym, code, down: false });
      for (const m of [...mods].reverse()) events.push({ ...m, down: false });
    });
  }
  return { events, untypable: [...untypable], chars };
}

/** The plan for a layout: US without a table (planTyping), any other with its table once loaded (null before). */
export function planFor(text: string, layout: string, table: LayoutTable | null): TypingPlan | null {
  if (layout === 'us') return planTyping(text);
  return table ? planTypingLayout(text, table) : null;
}
