import { describe, expect, it } from 'vitest';
import { DEFAULT_SERIAL_SETTINGS, parseSerialSettings, stepFontSize } from './serialSettings';

describe('parseSerialSettings', () => {
  it.each([
    [undefined, DEFAULT_SERIAL_SETTINGS],
    [null, DEFAULT_SERIAL_SETTINGS],
    ['x', DEFAULT_SERIAL_SETTINGS],
    [{ fontSize: 18, scrollback: 5000 }, { fontSize: 18, scrollback: 5000 }],
    [{ fontSize: 17, scrollback: 5000 }, { fontSize: 14, scrollback: 5000 }],
    [{ fontSize: '18', scrollback: 1e9 }, DEFAULT_SERIAL_SETTINGS],
  ])('%j', (raw, want) => {
    expect(parseSerialSettings(raw)).toEqual(want);
  });
});

describe('stepFontSize', () => {
  it.each([
    [14, 1, 15],
    [14, -1, 13],
    [16, 1, 18],
    [24, 1, 24],
    [10, -1, 10],
    [17, 1, 18],
    [17, -1, 16],
    [99, -1, 24],
    [1, 1, 10],
  ] as const)('%i %i → %i', (from, dir, want) => {
    expect(stepFontSize(from, dir)).toBe(want);
  });
});
