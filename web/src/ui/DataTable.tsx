// A data table with sorting and column hiding, for the app's lists (hosts,
// pools, volumes, networks, leases, sessions, the audit log): TanStack Table
// keeps the sort and the visible columns, a header click sorts (aria-sort
// says how), and a Columns menu hides what the user does not need. The
// choice is kept in the browser per table. Pages give the columns (a label,
// how to draw a cell, what to sort by) and the rows; the dashboard's VM
// table is separate, as it is virtualised and grouped by host.

import {
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type OnChangeFn,
  type SortingState,
  type VisibilityState,
} from '@tanstack/react-table';
import { Columns3 } from 'lucide-react';
import { Fragment, useMemo, useState, type HTMLAttributes, type ReactNode } from 'react';
import { Button } from './Button';
import { cx } from './cx';
import { MenuCheckboxItem, MenuLabel, Menu } from './Menu';
import { SortHeader, Table } from './Table';
import { ariaSortOf, compareSortValues, isMissing, loadTableState, saveTableState, type SortValue, type TableShape } from './tableModel';

/** One column of a DataTable. */
export interface DataColumn<T> {
  id: string;
  /** The header's text (also the column's name in the Columns menu). */
  header: string;
  /** The header is for screen readers only (a column of actions). */
  headerHidden?: boolean;
  cell: (row: T) => ReactNode;
  /** What the column sorts by; without it the column does not sort. */
  sortValue?: (row: T) => SortValue;
  /** Whether the Columns menu can hide it (default: yes, unless it names the row or its header is hidden). */
  hideable?: boolean;
  /** The cell is the row's header (th scope="row"): the row's name. */
  rowHeader?: boolean;
  /** Class of the column's cells and header ("num" right-aligns). */
  className?: string;
  /** The cells' data-testid. */
  testId?: string;
}

/** Attributes of a row (data-* included). */
export type RowAttributes = HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | undefined>;

export interface DataTableProps<T> {
  /** Names the table's stored sort and columns ("hosts", "volumes"). */
  name: string;
  /** The table's accessible name (and its Columns menu's). */
  label: string;
  columns: readonly DataColumn<T>[];
  data: readonly T[];
  /** A row's identity (the index in `data` where nothing better exists). */
  rowKey: (row: T, index: number) => string;
  /** The sort on first visit; none keeps the data's own order until a header is clicked. */
  defaultSort?: { id: string; desc?: boolean };
  rowProps?: (row: T) => RowAttributes;
  /** Drawn after a row, e.g. a detail row spanning `colSpan` columns. */
  after?: (row: T, colSpan: number) => ReactNode;
  className?: string;
  /** Attributes of the scrolling wrapper (a named, focusable region when it scrolls sideways). */
  wrapProps?: HTMLAttributes<HTMLDivElement>;
}

const isHideable = <T,>(c: DataColumn<T>) => c.hideable ?? !(c.rowHeader === true || c.headerHidden === true);

export function DataTable<T>({ name, label, columns, data, rowKey, defaultSort, rowProps, after, className, wrapProps }: DataTableProps<T>) {
  const shape: TableShape = useMemo(
    () => ({
      sortable: columns.filter((c) => c.sortValue).map((c) => c.id),
      hideable: columns.filter(isHideable).map((c) => c.id),
      defaults: { sorting: defaultSort ? [{ id: defaultSort.id, desc: defaultSort.desc === true }] : [], hidden: {} },
    }),
    [columns, defaultSort],
  );
  const [state, setState] = useState(() => loadTableState(name, shape));
  const update = (next: { sorting?: SortingState; hidden?: VisibilityState }) =>
    setState((old) => {
      const s = { sorting: next.sorting ?? old.sorting, hidden: next.hidden ?? old.hidden };
      saveTableState(name, s);
      return s;
    });
  const onSortingChange: OnChangeFn<SortingState> = (u) => update({ sorting: typeof u === 'function' ? u(state.sorting) : u });
  const onVisibilityChange: OnChangeFn<VisibilityState> = (u) => update({ hidden: typeof u === 'function' ? u(state.hidden) : u });

  const defs = useMemo<ColumnDef<T>[]>(
    () =>
      columns.map((c) => ({
        id: c.id,
        header: c.header,
        accessorFn: (row: T) => {
          const v = c.sortValue?.(row);
          return isMissing(v) ? undefined : v;
        },
        enableSorting: c.sortValue !== undefined,
        enableHiding: isHideable(c),
        sortUndefined: 'last',
        sortingFn: (a, b, id) => compareSortValues(a.getValue<SortValue>(id), b.getValue<SortValue>(id)),
      })),
    [columns],
  );
  const byId = useMemo(() => new Map(columns.map((c) => [c.id, c])), [columns]);

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Table is used as documented
  const table = useReactTable({
    data: data as T[],
    columns: defs,
    state: { sorting: state.sorting, columnVisibility: state.hidden },
    onSortingChange,
    onColumnVisibilityChange: onVisibilityChange,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getRowId: (row, i) => rowKey(row, i),
    enableSortingRemoval: false,
    sortDescFirst: false,
  });
  const visible = table.getVisibleLeafColumns().flatMap((c) => byId.get(c.id) ?? []);
  const hideable = columns.filter(isHideable);

  return (
    <div className={cx('data-table-box', className && `${className}-box`)} data-table-name={name}>
      {hideable.length > 0 && (
        <div className="data-table-tools">
          <Menu
            modal={false}
            align="end"
            trigger={
              <Button variant="ghost" size="sm" className="table-columns-trigger" aria-label={`Columns of ${label}`}>
                <Columns3 size={14} aria-hidden /> Columns
              </Button>
            }
          >
            <MenuLabel>Show columns</MenuLabel>
            {hideable.map((c) => (
              <MenuCheckboxItem key={c.id} checked={state.hidden[c.id] !== false} onCheckedChange={(v) => table.getColumn(c.id)?.toggleVisibility(v)}>
                {c.header}
              </MenuCheckboxItem>
            ))}
          </Menu>
        </div>
      )}
      <Table className={cx('sortable-table', className)} aria-label={label} wrapProps={wrapProps}>
        <thead>
          <tr>
            {visible.map((c) => {
              const text = c.headerHidden ? <span className="sr-only">{c.header}</span> : c.header;
              if (!c.sortValue) {
                return (
                  <th key={c.id} scope="col" className={c.className}>
                    {text}
                  </th>
                );
              }
              return (
                <SortHeader
                  key={c.id}
                  scope="col"
                  className={c.className}
                  direction={ariaSortOf(state.sorting, c.id)}
                  onSort={(e) => table.getColumn(c.id)?.getToggleSortingHandler()?.(e)}
                  sortTitle={`Sort by ${c.header.toLowerCase()}`}
                >
                  {text}
                </SortHeader>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {table.getRowModel().rows.map((r) => (
            <Fragment key={r.id}>
              <tr {...rowProps?.(r.original)}>
                {visible.map((c) =>
                  c.rowHeader ? (
                    <th key={c.id} scope="row" className={c.className}>
                      {c.cell(r.original)}
                    </th>
                  ) : (
                    <td key={c.id} className={c.className} data-testid={c.testId}>
                      {c.cell(r.original)}
                    </td>
                  ),
                )}
              </tr>
              {after?.(r.original, visible.length)}
            </Fragment>
          ))}
        </tbody>
      </Table>
    </div>
  );
}
