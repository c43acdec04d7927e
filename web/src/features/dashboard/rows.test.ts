import { describe, expect, it } from 'vitest';
import type { HostGroup } from '../../resources/vm/model';
import { makeVM } from '../../test/fixtures';
import { buildRows, columnsFor, rowIndexByVM } from './rows';

const group = (host: string, n: number, total = n): HostGroup => ({
  host,
  info: undefined,
  total,
  vms: Array.from({ length: n }, (_, i) => makeVM({ host, uuid: `${host}-${i}`, name: `${host}-${i}` })),
});

describe('grid rows', () => {
  it('puts a header above each host and wraps cards by column count', () => {
    const rows = buildRows([group('a', 5), group('b', 0, 3)], 2);
    expect(rows.map((r) => (r.kind === 'cards' ? `cards:${r.vms.length}` : r.kind))).toEqual(['group', 'cards:2', 'cards:2', 'cards:1', 'group', 'empty']);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    const index = rowIndexByVM(rows);
    expect(index.get('a/a-4')).toBe(3);
    expect(index.size).toBe(5);
  });

  it('fits columns to the width', () => {
    expect(columnsFor(0, 288, 14)).toBe(1);
    expect(columnsFor(288, 288, 14)).toBe(1);
    expect(columnsFor(590, 288, 14)).toBe(2);
    expect(columnsFor(1320, 288, 14)).toBe(4);
  });
});
