import { describe, expect, it } from 'vitest';
import { formatDateTime, formatTime } from './format';

// The one date format of the app (issue 13: "one date format everywhere").
describe('formatDateTime', () => {
  const t = '2026-12-07T13:02:11Z';
  it('writes the date with its year and the time to the second', () => {
    expect(formatDateTime(t, { locale: 'en-GB', timeZone: 'UTC' })).toBe('7 Dec 2026, 13:02:11');
  });
  it('writes the moment in the zone asked for', () => {
    expect(formatDateTime(t, { locale: 'en-GB', timeZone: 'Europe/Berlin' })).toBe('7 Dec 2026, 14:02:11');
  });
  it('writes a string, epoch milliseconds and a Date alike', () => {
    const ms = Date.parse(t);
    expect(formatDateTime(ms)).toBe(formatDateTime(t));
    expect(formatDateTime(new Date(ms))).toBe(formatDateTime(t));
  });
  it('says "—" for no valid time', () => {
    expect(formatDateTime('not a time')).toBe('—');
    expect(formatDateTime(NaN)).toBe('—');
  });
  it('leaves no second format: formatTime writes the same', () => {
    expect(formatTime(t)).toBe(formatDateTime(t));
  });
});
