import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, loadSettingsFor, parseSettings, settingsStore, updateSettings } from './settings';

describe('settings', () => {
  beforeEach(() => {
    localStorage.clear();
    settingsStore.set(DEFAULT_SETTINGS);
  });

  it('keeps valid values and drops the rest', () => {
    expect(parseSettings({ theme: 'dark', graphRefresh: 'paused', graphWindowMinutes: 15, dashboardView: 'table' })).toEqual({
      theme: 'dark',
      graphRefresh: 'paused',
      graphWindowMinutes: 15,
      dashboardView: 'table',
    });
    expect(parseSettings({ theme: 'pink', graphWindowMinutes: 7, extra: 1 })).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings('nonsense')).toEqual(DEFAULT_SETTINGS);
  });

  it('stores settings per user', () => {
    loadSettingsFor('alice');
    updateSettings({ theme: 'dark' });
    loadSettingsFor('bob');
    expect(JSON.parse(localStorage.getItem('kvmm.settings.alice') ?? '{}')).toMatchObject({ theme: 'dark' });
    updateSettings({ theme: 'light' });
    loadSettingsFor('alice');
    expect(settingsStore.get().theme).toBe('dark');
    loadSettingsFor('bob');
    expect(settingsStore.get().theme).toBe('light');
  });
});
