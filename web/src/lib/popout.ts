// Opening a VM's console in a window of its own (tiny, so that the
// dashboard's cards can do it without loading the consoles' code).

import { popoutHref } from './routes';

const SIZE = { console: 'width=1100,height=780', serial: 'width=980,height=660' } as const;

/** Opens (or brings forward) the VM's graphical or serial console window. */
export function openPopout(kind: 'console' | 'serial', host: string, uuid: string): void {
  const w = window.open(popoutHref(kind, host, uuid), `kvmm-${kind}-${host}-${uuid}`, `popup=yes,${SIZE[kind]}`);
  w?.focus();
}
