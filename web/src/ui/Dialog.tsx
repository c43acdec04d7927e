// Dialogs: one frame (overlay, centred panel, title with a close button,
// actions at the bottom) over Radix Dialog, or AlertDialog for a
// confirmation that must be answered (no close on outside click). Radix
// traps the focus inside and returns it to what opened the dialog.

import { AlertDialog, Dialog as RDialog } from 'radix-ui';
import { X } from 'lucide-react';
import { createContext, useContext, useRef, type ComponentProps, type ReactNode } from 'react';
import { Button, type ButtonProps } from './Button';
import { cx } from './cx';

const AlertContext = createContext(false);

type ContentProps = ComponentProps<typeof RDialog.Content>;

export interface DialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** A confirmation (role alertdialog): Escape cancels, an outside click does not. */
  alert?: boolean;
  /** The wider frame, for dialogs with choices side by side. */
  wide?: boolean;
  /** No centred panel: className alone styles the content (the navigation drawer, a panel at the side). */
  bare?: boolean;
  className?: string;
  /** Where the focus goes on opening (Radix's default: the first focusable element). */
  onOpenAutoFocus?: ContentProps['onOpenAutoFocus'];
  /** Set when the dialog has no DialogDescription, so that none is expected. */
  noDescription?: boolean;
  'aria-label'?: string;
  /** Where it mounts (a pop-out window's document). */
  container?: HTMLElement | null;
  children: ReactNode;
}

export function Dialog({ open, onOpenChange, alert = false, wide = false, bare = false, className, onOpenAutoFocus, noDescription, container, children, ...aria }: DialogProps) {
  const cls = cx(!bare && 'dialog', wide && 'dialog-wide', className);
  const describedBy = noDescription ? { 'aria-describedby': undefined } : {};
  // Radix returns the focus to a Dialog.Trigger only; these dialogs open
  // from buttons, menus and shortcuts, so remember what had the focus and
  // give it back on close (when it is still on the page).
  const returnTo = useRef<HTMLElement | null>(null);
  const focus = {
    onOpenAutoFocus: (e: Event) => {
      returnTo.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      onOpenAutoFocus?.(e);
    },
    onCloseAutoFocus: (e: Event) => {
      const el = returnTo.current;
      returnTo.current = null;
      if (el?.isConnected && el !== document.body) {
        e.preventDefault();
        el.focus({ preventScroll: true });
      }
    },
  };
  if (alert) {
    return (
      <AlertContext.Provider value>
        <AlertDialog.Root open={open} onOpenChange={onOpenChange}>
          <AlertDialog.Portal container={container}>
            <AlertDialog.Overlay className="dialog-overlay" />
            <AlertDialog.Content className={cls} {...focus} {...describedBy} {...aria}>
              {children}
            </AlertDialog.Content>
          </AlertDialog.Portal>
        </AlertDialog.Root>
      </AlertContext.Provider>
    );
  }
  return (
    <RDialog.Root open={open} onOpenChange={onOpenChange}>
      <RDialog.Portal container={container}>
        <RDialog.Overlay className="dialog-overlay" />
        <RDialog.Content className={cls} {...focus} {...describedBy} {...aria}>
          {children}
        </RDialog.Content>
      </RDialog.Portal>
    </RDialog.Root>
  );
}

/** The dialog's name (its heading). */
export function DialogTitle({ children, className }: { children: ReactNode; className?: string }) {
  const alert = useContext(AlertContext);
  const T = alert ? AlertDialog.Title : RDialog.Title;
  return <T className={cx('dialog-title', className)}>{children}</T>;
}

/** Text that describes the dialog (read with its name). */
export function DialogDescription({ children, asChild, className }: { children: ReactNode; asChild?: boolean; className?: string }) {
  const alert = useContext(AlertContext);
  const D = alert ? AlertDialog.Description : RDialog.Description;
  return (
    <D asChild={asChild} className={className}>
      {children}
    </D>
  );
}

/** The title and, unless it is a confirmation, a Close button. */
export function DialogHead({ children, close = true }: { children: ReactNode; close?: boolean }) {
  const alert = useContext(AlertContext);
  return (
    <div className="dialog-head">
      <DialogTitle>{children}</DialogTitle>
      {close && !alert && (
        <RDialog.Close className="icon-btn" aria-label="Close">
          <X size={16} aria-hidden />
        </RDialog.Close>
      )}
    </div>
  );
}

/** The row of buttons at the bottom. */
export function DialogActions({ children }: { children: ReactNode }) {
  return <div className="dialog-actions">{children}</div>;
}

/** A button that closes (cancels) the dialog. */
export function DialogClose({ children, ...rest }: Omit<ButtonProps, 'asChild'>) {
  const alert = useContext(AlertContext);
  const C = alert ? AlertDialog.Cancel : RDialog.Close;
  return (
    <C asChild>
      <Button {...rest}>{children}</Button>
    </C>
  );
}

/** The confirming button of an alert dialog (closes it after onClick). */
export function DialogAction({ children, ...rest }: Omit<ButtonProps, 'asChild'>) {
  return (
    <AlertDialog.Action asChild>
      <Button {...rest}>{children}</Button>
    </AlertDialog.Action>
  );
}
