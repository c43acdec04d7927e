// User settings, kept per user in the browser's localStorage. Nothing here
// needs the server yet; console settings join when the console does.

import { statsStore, type GraphRefresh } from '../../api/stats';
import { createStore } from '../../lib/store';

export type Theme = 'system' | 'light' | 'dark';
export type DashboardView = 'cards' | 'table';

export interface Settings {
  theme: Theme;
  /** How often graphs and sparklines redraw. */
  graphRefresh: GraphRefresh;
  /** How many minutes of history graphs keep. */
  graphWindowMinutes: number;
  dashboardView: DashboardView;
}

export const GRAPH_WINDOWS = [2, 5, 15, 30] as const;

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  graphRefresh: 'live',
  graphWindowMinutes: 5,
  dashboardView: 'cards',
};

const oneOf = <T extends string | number>(v: unknown, allowed: readonly T[], fallback: T): T =>
  allowed.includes(v as T) ? (v as T) : fallback;

/** Reads stored settings, keeping only valid values (others fall back to defaults). */
export function parseSettings(raw: unknown): Settings {
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    theme: oneOf(o.theme, ['system', 'light', 'dark'] as const, DEFAULT_SETTINGS.theme),
    graphRefresh: oneOf(o.graphRefresh, ['live', '10s', 'paused'] as const, DEFAULT_SETTINGS.graphRefresh),
    graphWindowMinutes: oneOf(o.graphWindowMinutes, GRAPH_WINDOWS, DEFAULT_SETTINGS.graphWindowMinutes),
    dashboardView: oneOf(o.dashboardView, ['cards', 'table'] as const, DEFAULT_SETTINGS.dashboardView),
  };
}

const LAST_KEY = 'kvmm.settings';
const userKey = (user: string) => `kvmm.settings.${user}`;

function read(key: string): Settings | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? parseSettings(JSON.parse(raw)) : null;
  } catch {
    return null;
  }
}

function write(key: string, s: Settings): void {
  try {
    localStorage.setItem(key, JSON.stringify(s));
  } catch {
    // storage full or disabled: settings last for this page only
  }
}

let user: string | null = null;

export const settingsStore = createStore<Settings>(read(LAST_KEY) ?? DEFAULT_SETTINGS);

/** Switches to a user's stored settings (after login or on load). */
export function loadSettingsFor(name: string | null): void {
  user = name;
  if (name) settingsStore.set(read(userKey(name)) ?? settingsStore.get());
}

export function updateSettings(patch: Partial<Settings>): void {
  settingsStore.set((s) => ({ ...s, ...patch }));
  const s = settingsStore.get();
  write(LAST_KEY, s);
  if (user) write(userKey(user), s);
}

// ---- applying settings -------------------------------------------------

const media = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;

/** The theme actually shown. */
export function resolvedTheme(theme: Theme): 'light' | 'dark' {
  if (theme === 'system') return media?.matches ? 'dark' : 'light';
  return theme;
}

function apply(s: Settings): void {
  const root = document.documentElement;
  const t = resolvedTheme(s.theme);
  root.dataset.theme = t;
  root.style.colorScheme = t;
  statsStore.setRefresh(s.graphRefresh);
  statsStore.setWindow(s.graphWindowMinutes * 60_000);
}

/** Applies settings now and whenever they (or the system theme) change. */
export function startApplyingSettings(): void {
  apply(settingsStore.get());
  settingsStore.subscribe(() => apply(settingsStore.get()));
  media?.addEventListener('change', () => apply(settingsStore.get()));
}
