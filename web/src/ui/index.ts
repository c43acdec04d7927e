// The UI kit: the app's controls over Radix, styled by ui.css and the
// tokens in styles/base.css. Features build from these instead of class
// strings ("btn btn-primary") and hand-built Radix structures.

export { Banner, type BannerProps, type BannerTone } from './Banner';
export { Button, buttonClass, type ButtonProps, type ButtonVariant } from './Button';
export { cx } from './cx';
export { addressSortValue, compareSortValues, type SortValue } from './tableModel';
export { DataTable, type DataColumn, type DataTableProps, type RowAttributes } from './DataTable';
export { Dialog, DialogAction, DialogActions, DialogClose, DialogDescription, DialogHead, DialogTitle, type DialogProps } from './Dialog';
export { EmptyState, type EmptyStateProps } from './EmptyState';
export { Field, type FieldProps } from './Field';
export { IconButton, Tip, type IconButtonProps } from './IconButton';
export { InfoTip, type InfoTipProps } from './InfoTip';
export { ContextMenuContent, Menu, MenuCheckboxItem, MenuGroup, MenuItem, MenuLabel, MenuRadioGroup, MenuRadioItem, MenuSeparator, type MenuProps } from './Menu';
export { SortHeader, Table, type SortDirection, type TableProps } from './Table';
