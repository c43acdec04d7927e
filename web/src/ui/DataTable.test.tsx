import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DataTable, type DataColumn } from '.';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

// jsdom has no ResizeObserver; Radix's popper measures with one.
const noop = () => undefined;
globalThis.ResizeObserver = class {
  observe = noop;
  unobserve = noop;
  disconnect = noop;
};

interface Vol {
  name: string;
  size?: number;
  path: string;
}

const VOLS: Vol[] = [
  { name: 'disk10', size: 5, path: '/a' },
  { name: 'disk2', size: 50, path: '/b' },
  { name: 'disk1', path: '/c' },
];

const COLUMNS: DataColumn<Vol>[] = [
  { id: 'name', header: 'Name', rowHeader: true, cell: (v) => v.name, sortValue: (v) => v.name },
  { id: 'size', header: 'Size', className: 'num', cell: (v) => (v.size === undefined ? '—' : `${v.size} GiB`), sortValue: (v) => v.size },
  { id: 'path', header: 'Path', cell: (v) => v.path },
  { id: 'actions', header: 'Actions', headerHidden: true, cell: (v) => <button type="button">Delete {v.name}</button> },
];

function table(data = VOLS) {
  return render(<DataTable name="vols" label="Volumes" columns={COLUMNS} data={data} rowKey={(v) => v.name} defaultSort={{ id: 'name' }} />);
}

const names = () =>
  within(screen.getByRole('table', { name: 'Volumes' }))
    .getAllByRole('rowheader')
    .map((c) => c.textContent);
const header = (name: string) => screen.getByRole('columnheader', { name: new RegExp(`^${name}`) });

describe('DataTable', () => {
  it('sorts by the default column, then by a clicked header, both ways, missing values last', () => {
    table();
    expect(names()).toEqual(['disk1', 'disk2', 'disk10']);
    expect(header('Name').getAttribute('aria-sort')).toBe('ascending');
    expect(header('Size').getAttribute('aria-sort')).toBe('none');

    fireEvent.click(within(header('Size')).getByRole('button'));
    expect(header('Size').getAttribute('aria-sort')).toBe('ascending');
    expect(header('Name').getAttribute('aria-sort')).toBe('none');
    expect(names()).toEqual(['disk10', 'disk2', 'disk1']);

    fireEvent.click(within(header('Size')).getByRole('button'));
    expect(header('Size').getAttribute('aria-sort')).toBe('descending');
    expect(names()).toEqual(['disk2', 'disk10', 'disk1']);
  });

  it('has no sort button where a column does not sort, and names the actions column for screen readers only', () => {
    table();
    expect(within(header('Path')).queryByRole('button')).toBeNull();
    expect(header('Path').hasAttribute('aria-sort')).toBe(false);
    expect(screen.getByRole('columnheader', { name: 'Actions' }).querySelector('.sr-only')).not.toBeNull();
  });

  it('hides a column from the Columns menu, offering only the hideable ones, and keeps both choices for the next visit', async () => {
    table();
    fireEvent.click(within(header('Size')).getByRole('button'));
    fireEvent.keyDown(screen.getByRole('button', { name: 'Columns of Volumes' }), { key: 'Enter' });
    const items = await screen.findAllByRole('menuitemcheckbox');
    expect(items.map((i) => i.textContent)).toEqual(['Size', 'Path']);
    const path = items[1];
    if (!path) throw new Error('no Path item');
    fireEvent.click(path);
    expect(screen.queryByRole('columnheader', { name: /^Path/ })).toBeNull();
    expect(screen.queryByText('/a')).toBeNull();

    cleanup();
    table();
    expect(screen.queryByRole('columnheader', { name: /^Path/ })).toBeNull();
    expect(header('Size').getAttribute('aria-sort')).toBe('ascending');
    expect(names()).toEqual(['disk10', 'disk2', 'disk1']);
  });

  it('re-sorts when the data changes', () => {
    const { rerender } = table();
    rerender(
      <DataTable name="vols" label="Volumes" columns={COLUMNS} data={[...VOLS, { name: 'disk0', path: '/d' }]} rowKey={(v) => v.name} defaultSort={{ id: 'name' }} />,
    );
    expect(names()).toEqual(['disk0', 'disk1', 'disk2', 'disk10']);
  });
});
