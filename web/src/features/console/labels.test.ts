import { describe, expect, it } from 'vitest';
import { sentence } from '../../lib/format';
import { screenshotFileName } from './ConsoleTools';
import { phaseLabel } from './VncConsole';

describe('phaseLabel', () => {
  const v = (phase: Parameters<typeof phaseLabel>[0]['phase'], extra = {}) => ({ phase, everConnected: false, ...extra });

  it('says what the status bar says', () => {
    expect(phaseLabel(v('connecting'), 0)).toBe('Connecting…');
    expect(phaseLabel(v('connecting', { attempt: 2 }), 0)).toBe('Reconnecting… (attempt 3)');
    expect(phaseLabel(v('connected'), 0)).toBe('Connected');
    expect(phaseLabel(v('reconnecting', { retryAt: 4200 }), 1000)).toBe('Disconnected · retry in 4 s');
    expect(phaseLabel(v('reconnecting', { retryAt: 900 }), 1000)).toBe('Reconnecting…');
    expect(phaseLabel(v('vm-stopped'), 0)).toBe('VM not running');
    expect(phaseLabel(v('no-vnc'), 0)).toBe('No VNC display');
    expect(phaseLabel(v('spice-only'), 0)).toBe('SPICE only');
    expect(phaseLabel(v('disconnected'), 0)).toBe('Disconnected');
  });
});

describe('small helpers', () => {
  it('names screenshots after the VM and the local time', () => {
    expect(screenshotFileName('web 01/prod', new Date(2026, 10, 26, 9, 5, 7))).toBe('web_01_prod-20261126-090507.png');
    expect(screenshotFileName('..', new Date(2026, 0, 1, 0, 0, 0))).toBe('vm-20260101-000000.png');
  });

  it('makes server messages read as sentences', () => {
    expect(sentence('the VM is off')).toBe('The VM is off.');
    expect(sentence('Done!')).toBe('Done!');
    expect(sentence(undefined)).toBe('');
  });
});
