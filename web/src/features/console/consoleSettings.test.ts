import { beforeEach, describe, expect, it } from 'vitest';
import { consoleSettingsStore, DEFAULT_CONSOLE_SETTINGS, parseConsoleSettings, updateConsoleSettings } from './consoleSettings';

describe('parseConsoleSettings', () => {
  it('keeps valid values and drops the rest', () => {
    expect(parseConsoleSettings(null)).toEqual(DEFAULT_CONSOLE_SETTINGS);
    expect(parseConsoleSettings({ quality: 9, compression: 0, scaling: 'native', viewOnly: true, passthrough: false, f11Fullscreen: false, dotCursor: false })).toEqual({
      quality: 9,
      compression: 0,
      scaling: 'native',
      viewOnly: true,
      passthrough: false,
      f11Fullscreen: false,
      dotCursor: false,
      typeLayout: 'us',
    });
    expect(parseConsoleSettings({ quality: 10, compression: -1, scaling: 'zoom', viewOnly: 'yes', typeLayout: 'klingon' })).toEqual(DEFAULT_CONSOLE_SETTINGS);
    expect(parseConsoleSettings({ quality: 2.5 }).quality).toBe(DEFAULT_CONSOLE_SETTINGS.quality);
  });
});

describe('updateConsoleSettings', () => {
  beforeEach(() => {
    localStorage.clear();
    consoleSettingsStore.set(DEFAULT_CONSOLE_SETTINGS);
  });

  it('stores valid changes in this browser', () => {
    updateConsoleSettings({ scaling: 'remote', quality: 3 });
    expect(consoleSettingsStore.get().scaling).toBe('remote');
    expect(JSON.parse(localStorage.getItem('kvmm.console') ?? '{}')).toMatchObject({ scaling: 'remote', quality: 3 });
    updateConsoleSettings({ quality: 42 });
    expect(consoleSettingsStore.get().quality).toBe(DEFAULT_CONSOLE_SETTINGS.quality);
  });
});
