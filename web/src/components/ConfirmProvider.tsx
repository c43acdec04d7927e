// One confirmation dialog for the whole app (a Radix AlertDialog), opened
// with `await confirm({...})`, so that hundreds of cards need not each mount
// their own.

import { createContext, useCallback, useContext, useRef, useState, type ReactNode } from 'react';
import { Dialog, DialogAction, DialogActions, DialogClose, DialogDescription, DialogTitle } from '../ui';

export interface ConfirmOptions {
  title: string;
  body: ReactNode;
  /** The confirm button's name: the action ("Force off", "Reset"). */
  confirmLabel: string;
  danger?: boolean;
}

type Confirm = (opts: ConfirmOptions) => Promise<boolean>;

const ConfirmContext = createContext<Confirm | null>(null);

export function useConfirm(): Confirm {
  const c = useContext(ConfirmContext);
  if (!c) throw new Error('useConfirm needs a ConfirmProvider');
  return c;
}

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [opts, setOpts] = useState<ConfirmOptions | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);

  const confirm = useCallback<Confirm>((o) => {
    resolver.current?.(false);
    setOpts(o);
    return new Promise<boolean>((resolve) => {
      resolver.current = resolve;
    });
  }, []);

  const close = (ok: boolean) => {
    resolver.current?.(ok);
    resolver.current = null;
    setOpts(null);
  };

  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <Dialog
        alert
        open={opts !== null}
        onOpenChange={(open) => {
          if (!open) close(false);
        }}
      >
        <DialogTitle>{opts?.title}</DialogTitle>
        <DialogDescription asChild>
          <div className="dialog-body">{opts?.body}</div>
        </DialogDescription>
        <DialogActions>
          <DialogClose>Cancel</DialogClose>
          <DialogAction variant={opts?.danger ? 'danger' : 'primary'} onClick={() => close(true)}>
            {opts?.confirmLabel}
          </DialogAction>
        </DialogActions>
      </Dialog>
    </ConfirmContext.Provider>
  );
}
