// The graphical console's settings, stored in this browser. Kept apart from
// the app's settings store (and from noVNC) so that the Settings page shows
// them without loading the console.

import { createStore } from '../../lib/store';
import { isGuestLayout } from './keymaps/layouts';

/** fit: scaled to the window; native: 1:1 with scroll bars; remote: the guest's resolution follows the window where it can. */
export type Scaling = 'fit' | 'native' | 'remote';

export interface ConsoleSettings {
  /** JPEG quality asked of the VNC server, 0 (low) to 9 (high). */
  quality: number;
  /** Compression level asked of the VNC server, 0 (none) to 9 (most, slowest). */
  compression: number;
  /** Scaling a console opens with. */
  scaling: Scaling;
  /** Consoles open view-only (no keyboard or mouse input). */
  viewOnly: boolean;
  /**
   * In full screen, lock the keyboard (Keyboard Lock API) so that browser and
   * system shortcuts (Ctrl+W, Ctrl+T, Alt+Tab, Esc…) go to the guest. Leave
   * full screen by holding Esc, F11, or the toolbar.
   */
  passthrough: boolean;
  /** F11 toggles full screen (true) or goes to the guest (false). */
  f11Fullscreen: boolean;
  /** Show a small dot where the pointer is when the guest hides its cursor. */
  dotCursor: boolean;
  /** The guest keyboard layout "Type text" types for (an xkb layout name, see keymaps/layouts.ts). */
  typeLayout: string;
}

export const DEFAULT_CONSOLE_SETTINGS: ConsoleSettings = {
  quality: 6,
  compression: 2,
  scaling: 'fit',
  viewOnly: false,
  passthrough: true,
  f11Fullscreen: true,
  dotCursor: true,
  typeLayout: 'us',
};

export const SCALINGS: readonly { value: Scaling; label: string; hint: string }[] = [
  { value: 'fit', label: 'Fit to window', hint: 'Scale the screen to the space there is' },
  { value: 'native', label: '1:1', hint: 'One screen pixel per pixel, with scroll bars' },
  { value: 'remote', label: 'Resize the guest', hint: 'Ask the guest to take the window’s size (where it supports it); fits otherwise' },
];

const KEY = 'kvmm.console';

const level = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 9 ? v : fallback);
const bool = (v: unknown, fallback: boolean) => (typeof v === 'boolean' ? v : fallback);

/** Reads stored settings, keeping only valid values. */
export function parseConsoleSettings(raw: unknown): ConsoleSettings {
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const d = DEFAULT_CONSOLE_SETTINGS;
  return {
    quality: level(o.quality, d.quality),
    compression: level(o.compression, d.compression),
    scaling: SCALINGS.some((s) => s.value === o.scaling) ? (o.scaling as Scaling) : d.scaling,
    viewOnly: bool(o.viewOnly, d.viewOnly),
    passthrough: bool(o.passthrough, d.passthrough),
    f11Fullscreen: bool(o.f11Fullscreen, d.f11Fullscreen),
    dotCursor: bool(o.dotCursor, d.dotCursor),
    typeLayout: isGuestLayout(o.typeLayout) ? o.typeLayout : d.typeLayout,
  };
}

function load(): ConsoleSettings {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? parseConsoleSettings(JSON.parse(raw)) : DEFAULT_CONSOLE_SETTINGS;
  } catch {
    return DEFAULT_CONSOLE_SETTINGS;
  }
}

export const consoleSettingsStore = createStore<ConsoleSettings>(load());

export function updateConsoleSettings(patch: Partial<ConsoleSettings>): void {
  consoleSettingsStore.set((s) => parseConsoleSettings({ ...s, ...patch }));
  try {
    localStorage.setItem(KEY, JSON.stringify(consoleSettingsStore.get()));
  } catch {
    // storage full or disabled: the setting lasts for this page only
  }
}
