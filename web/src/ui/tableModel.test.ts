import { afterEach, describe, expect, it } from 'vitest';
import { addressSortValue, ariaSortOf, compareSortValues, isMissing, loadTableState, parseTableState, saveTableState, type TableShape } from './tableModel';

const shape: TableShape = {
  sortable: ['name', 'size'],
  hideable: ['size', 'path'],
  defaults: { sorting: [{ id: 'name', desc: false }], hidden: {} },
};

describe('compareSortValues', () => {
  it('orders numbers by value, text with digits as numbers, numbers before text', () => {
    const xs = ['vm10', 'vm2', 'VM1', 3, 20, 'alpha'];
    expect([...xs].sort(compareSortValues)).toEqual([3, 20, 'alpha', 'VM1', 'vm2', 'vm10']);
  });
  it('counts empty text, null, undefined and NaN as missing', () => {
    expect([null, undefined, '', Number.NaN].every(isMissing)).toBe(true);
    expect([0, 'x'].some(isMissing)).toBe(false);
  });
});

describe('addressSortValue', () => {
  it('sorts IPv4 numerically and puts other addresses after', () => {
    const ips = ['10.0.0.10', '10.0.0.9', 'fe80::1', '9.255.255.255', '192.168.122.2'];
    expect([...ips].sort((a, b) => compareSortValues(addressSortValue(a), addressSortValue(b)))).toEqual([
      '9.255.255.255',
      '10.0.0.9',
      '10.0.0.10',
      '192.168.122.2',
      'fe80::1',
    ]);
  });
});

describe('parseTableState', () => {
  it('keeps a sort by a sortable column and hidden hideable columns', () => {
    expect(parseTableState({ sorting: [{ id: 'size', desc: true }], hidden: { path: false } }, shape)).toEqual({
      sorting: [{ id: 'size', desc: true }],
      hidden: { path: false },
    });
  });
  it('drops columns that are gone or may not hide, and falls back to the default sort', () => {
    expect(parseTableState({ sorting: [{ id: 'gone', desc: true }], hidden: { name: false, gone: false, size: true } }, shape)).toEqual({
      sorting: [{ id: 'name', desc: false }],
      hidden: {},
    });
    expect(parseTableState('junk', shape)).toEqual({ sorting: [{ id: 'name', desc: false }], hidden: {} });
  });
  it('keeps an empty sort (the data’s own order)', () => {
    expect(parseTableState({ sorting: [] }, shape).sorting).toEqual([]);
  });
});

describe('stored table state', () => {
  afterEach(() => localStorage.clear());
  it('comes back per table name, and defaults when none or broken', () => {
    saveTableState('pools', { sorting: [{ id: 'size', desc: true }], hidden: { size: false } });
    expect(loadTableState('pools', shape)).toEqual({ sorting: [{ id: 'size', desc: true }], hidden: { size: false } });
    expect(loadTableState('volumes', shape)).toEqual(shape.defaults);
    localStorage.setItem('kvmm.table.pools', '{not json');
    expect(loadTableState('pools', shape)).toEqual(shape.defaults);
  });
});

describe('ariaSortOf', () => {
  it('says how a column is sorted', () => {
    const s = [{ id: 'name', desc: true }];
    expect(ariaSortOf(s, 'name')).toBe('descending');
    expect(ariaSortOf([{ id: 'name', desc: false }], 'name')).toBe('ascending');
    expect(ariaSortOf(s, 'size')).toBe('none');
  });
});
