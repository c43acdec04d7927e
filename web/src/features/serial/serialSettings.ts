// The serial console's own settings (font size, lines kept), stored in this
// browser. Kept apart from the app's settings store so that the Settings
// page can show them without loading xterm.js.

import { createStore } from '../../lib/store';

export interface SerialSettings {
  /** Terminal font size in CSS pixels. */
  fontSize: number;
  /** Lines of output the terminal keeps for scrolling back and searching. */
  scrollback: number;
}

export const FONT_SIZES = [10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24] as const;
export const SCROLLBACK_LINES = [1000, 5000, 10_000, 50_000] as const;

export const DEFAULT_SERIAL_SETTINGS: SerialSettings = { fontSize: 14, scrollback: 10_000 };

const KEY = 'kvmm.serial';

/** Reads stored settings, keeping only valid values. */
export function parseSerialSettings(raw: unknown): SerialSettings {
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const pick = (v: unknown, allowed: readonly number[], fallback: number) => (typeof v === 'number' && allowed.includes(v) ? v : fallback);
  return {
    fontSize: pick(o.fontSize, FONT_SIZES, DEFAULT_SERIAL_SETTINGS.fontSize),
    scrollback: pick(o.scrollback, SCROLLBACK_LINES, DEFAULT_SERIAL_SETTINGS.scrollback),
  };
}

function load(): SerialSettings {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? parseSerialSettings(JSON.parse(raw)) : DEFAULT_SERIAL_SETTINGS;
  } catch {
    return DEFAULT_SERIAL_SETTINGS;
  }
}

export const serialSettingsStore = createStore<SerialSettings>(load());

export function updateSerialSettings(patch: Partial<SerialSettings>): void {
  serialSettingsStore.set((s) => parseSerialSettings({ ...s, ...patch }));
  try {
    localStorage.setItem(KEY, JSON.stringify(serialSettingsStore.get()));
  } catch {
    // storage full or disabled: the setting lasts for this page only
  }
}

/** The next font size up (+1) or down (-1), staying within FONT_SIZES. */
export function stepFontSize(current: number, dir: 1 | -1): number {
  if (dir > 0) return FONT_SIZES.find((f) => f > current) ?? FONT_SIZES[FONT_SIZES.length - 1] ?? current;
  return [...FONT_SIZES].reverse().find((f) => f < current) ?? FONT_SIZES[0];
}
