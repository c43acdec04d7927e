// The styling of a data table (TanStack Table keeps the rows and their
// sorting; this draws them): a scrolling wrapper, the table, and a header
// cell that sorts on click and says so with aria-sort.

import { ArrowDown, ArrowUp, ArrowUpDown } from 'lucide-react';
import type { HTMLAttributes, MouseEvent, ReactNode, TableHTMLAttributes, ThHTMLAttributes } from 'react';
import { cx } from './cx';

export interface TableProps extends TableHTMLAttributes<HTMLTableElement> {
  /** The scrolling wrapper's class (when it needs more than scrolling). */
  wrapClassName?: string;
  /** Attributes of the scrolling wrapper (a named, focusable region when it scrolls sideways). */
  wrapProps?: HTMLAttributes<HTMLDivElement>;
}

export function Table({ className, wrapClassName, wrapProps, children, ...rest }: TableProps) {
  return (
    <div {...wrapProps} className={cx('table-wrap', wrapClassName)}>
      <table className={cx('data-table', className)} {...rest}>
        {children}
      </table>
    </div>
  );
}

export type SortDirection = 'ascending' | 'descending' | 'none';

export interface SortHeaderProps extends Omit<ThHTMLAttributes<HTMLTableCellElement>, 'onClick'> {
  children: ReactNode;
  direction: SortDirection;
  /** Called with the click (TanStack's sort handler reads Shift from it for a multi-column sort). */
  onSort: (e: MouseEvent<HTMLButtonElement>) => void;
  /** The sort button's tooltip ("Sort by name"). */
  sortTitle?: string;
  /** Shown after the sort button, inside the cell (an info tip about the column). */
  after?: ReactNode;
}

/** A column header that sorts: a button inside, and aria-sort on the cell. */
export function SortHeader({ children, direction, onSort, className, sortTitle, after, ...rest }: SortHeaderProps) {
  const Icon = direction === 'ascending' ? ArrowUp : direction === 'descending' ? ArrowDown : ArrowUpDown;
  return (
    <th aria-sort={direction} className={className} {...rest}>
      <button type="button" className="th-sort" onClick={onSort} title={sortTitle}>
        {children}
        <Icon size={13} aria-hidden className={direction === 'none' ? 'sort-idle' : undefined} />
      </button>
      {after}
    </th>
  );
}
