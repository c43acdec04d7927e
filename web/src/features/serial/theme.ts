// Terminal colours that follow the app's light and dark themes. The ANSI
// palettes keep text readable on their background (xterm also lifts any
// colour under 4.5:1 contrast, see minimumContrastRatio in the terminal).

import type { ITheme } from '@xterm/xterm';

export const LIGHT_THEME: ITheme = {
  background: '#ffffff',
  foreground: '#1b2330',
  cursor: '#1b2330',
  cursorAccent: '#ffffff',
  selectionBackground: '#b9cdf5',
  selectionForeground: '#1b2330',
  selectionInactiveBackground: '#dbe3f0',
  black: '#1b2330',
  red: '#b91c1c',
  green: '#166534',
  yellow: '#854d0e',
  blue: '#1d4ed8',
  magenta: '#86198f',
  cyan: '#0e7490',
  white: '#4b5563',
  brightBlack: '#5d6878',
  brightRed: '#991b1b',
  brightGreen: '#15803d',
  brightYellow: '#92400e',
  brightBlue: '#2563eb',
  brightMagenta: '#a21caf',
  brightCyan: '#0f766e',
  brightWhite: '#374151',
};

export const DARK_THEME: ITheme = {
  background: '#0b0e13',
  foreground: '#e4e8ee',
  cursor: '#e4e8ee',
  cursorAccent: '#0b0e13',
  selectionBackground: '#2f4a7a',
  selectionForeground: '#ffffff',
  selectionInactiveBackground: '#263246',
  black: '#5d6878',
  red: '#f0605d',
  green: '#3fbf6f',
  yellow: '#e0a33a',
  blue: '#6b9bf2',
  magenta: '#c084fc',
  cyan: '#2dd4bf',
  white: '#d1d7e0',
  brightBlack: '#8b95a5',
  brightRed: '#ff7b78',
  brightGreen: '#5ee08c',
  brightYellow: '#f5c35b',
  brightBlue: '#8fb4f7',
  brightMagenta: '#d7a8ff',
  brightCyan: '#5eead4',
  brightWhite: '#ffffff',
};

/** Search match colours (#RRGGBB, as the search addon wants them). */
export function searchDecorations(dark: boolean) {
  return dark
    ? { matchBackground: '#4a3b12', matchOverviewRuler: '#e0a33a', activeMatchBackground: '#7a5a10', activeMatchColorOverviewRuler: '#f5c35b' }
    : { matchBackground: '#fdeaa8', matchOverviewRuler: '#d97706', activeMatchBackground: '#f9c74f', activeMatchColorOverviewRuler: '#b45309' };
}

/** The theme the app shows now (documentElement's data-theme, which settings keep current). */
export function documentTheme(): 'light' | 'dark' {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}
