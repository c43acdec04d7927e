import { describe, expect, it } from 'vitest';
import { ariaSort, DEFAULT_TABLE_PREFS, parseTablePrefs } from './tablePrefs';

describe('parseTablePrefs', () => {
  it('keeps a valid sort and hidden columns', () => {
    expect(parseTablePrefs({ sorting: [{ id: 'cpu', desc: true }], hidden: { ip: false, vcpus: false } })).toEqual({
      sorting: [{ id: 'cpu', desc: true }],
      hidden: { ip: false, vcpus: false },
    });
  });
  it('drops unknown columns and columns that cannot be hidden', () => {
    expect(parseTablePrefs({ sorting: [{ id: 'evil' }], hidden: { name: false, actions: false, bogus: false, ip: true } })).toEqual(DEFAULT_TABLE_PREFS);
  });
  it('falls back to the defaults for garbage', () => {
    expect(parseTablePrefs(null)).toEqual(DEFAULT_TABLE_PREFS);
    expect(parseTablePrefs('x')).toEqual(DEFAULT_TABLE_PREFS);
  });
});

describe('ariaSort', () => {
  it('says the direction of the sorted column only', () => {
    expect(ariaSort([{ id: 'name', desc: false }], 'name')).toBe('ascending');
    expect(ariaSort([{ id: 'name', desc: true }], 'name')).toBe('descending');
    expect(ariaSort([{ id: 'name', desc: true }], 'state')).toBe('none');
  });
});
