// The one keydown listener: matches keys (and sequences such as "g d")
// against the shortcuts that the mounted pages register, never while the
// user types in a field or a dialog is open.

import { createContext, useContext, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { toast } from 'sonner';
import { isTypingTarget, keyName, SequenceMatcher } from '../../lib/keys';
import { createStore } from '../../lib/store';
import { SHORTCUT_PERMISSION, type Access } from '../security/access';
import { useAccess } from '../security/useAccess';
import { VM_ACTION_KEYS } from './shortcuts';

export type ShortcutHandler = (e: KeyboardEvent) => unknown;
type Registry = Map<string, ShortcutHandler[]>;

const RegistryContext = createContext<Registry | null>(null);

/** Whether the shortcut overlay is open. */
export const overlayStore = createStore(false);

/** Registers shortcuts while the calling component is mounted. A handler returning false lets the key through. */
export function useShortcuts(map: Record<string, ShortcutHandler>, enabled = true): void {
  const registry = useContext(RegistryContext);
  const ref = useRef(map);
  useEffect(() => {
    ref.current = map;
  });
  const keys = Object.keys(map).join('|');
  useEffect(() => {
    if (!registry || !enabled) return;
    const entries = keys.split('|').map((k) => [k, (e: KeyboardEvent) => ref.current[k]?.(e)] as const);
    for (const [k, h] of entries) registry.set(k, [...(registry.get(k) ?? []), h]);
    return () => {
      for (const [k, h] of entries) {
        const list = (registry.get(k) ?? []).filter((x) => x !== h);
        if (list.length) registry.set(k, list);
        else registry.delete(k);
      }
    };
  }, [registry, keys, enabled]);
}

function modalOpen(): boolean {
  return document.querySelector('[role="dialog"][data-state="open"], [role="alertdialog"][data-state="open"], [role="menu"][data-state="open"]') !== null;
}

/** The element whose VM the VM shortcuts act on: the focused card or row, else the open details page. */
export function currentVMScope(): HTMLElement | null {
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.closest<HTMLElement>('[data-vm-key]') : null;
  return focused ?? document.querySelector<HTMLElement>('[data-vm-scope]');
}

/** Presses a VM's button for a shortcut; says why when it cannot (the state, or the user's role). */
function pressVMButton(binding: string, names: readonly string[], access: Access): boolean {
  const scope = currentVMScope();
  if (!scope) return false;
  // Reset and Delete are offered on the details page only.
  if (DETAILS_ONLY.has(binding) && !scope.hasAttribute('data-vm-scope')) return false;
  const needs = SHORTCUT_PERMISSION[binding];
  if (needs && !access.can(needs)) {
    toast.info(access.denied(needs));
    return true;
  }
  const vmName = scope.getAttribute('aria-label') ?? scope.dataset.vmName ?? 'This VM';
  for (const name of names) {
    const btn = scope.querySelector<HTMLButtonElement>(`button[aria-label="${name}"], button[data-action="${name}"]`);
    if (btn && !btn.disabled) {
      btn.click();
      return true;
    }
  }
  const state = scope.querySelector('[data-testid="vm-state"]')?.textContent;
  toast.info(`${names.join(' or ')} is not possible for ${vmName} now${state ? ` (${state.toLowerCase()})` : ''}`);
  return true;
}

const DETAILS_ONLY = new Set(['Shift+X', 'Delete']);

export function ShortcutsProvider({ children }: { children: ReactNode }) {
  const registry = useMemo<Registry>(() => new Map(), []);
  const access = useAccess();
  const accessRef = useRef(access);
  useEffect(() => {
    accessRef.current = access;
  });

  useEffect(() => {
    const matcher = new SequenceMatcher([]);
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const name = keyName(e);
      if (!name) return;
      if (isTypingTarget(e.target) || modalOpen()) return;
      const bindings = [...registry.keys(), ...Object.keys(VM_ACTION_KEYS)];
      matcher.setBindingsKeepBuffer(bindings);
      const result = matcher.feed(name);
      if (result.status === 'pending') {
        e.preventDefault();
        return;
      }
      if (result.status === 'none') return;
      const hit = result.binding;
      const handlers = registry.get(hit);
      const handler = handlers?.[handlers.length - 1];
      if (handler) {
        if (handler(e) !== false) e.preventDefault();
        return;
      }
      const names = VM_ACTION_KEYS[hit];
      if (names && pressVMButton(hit, names, accessRef.current)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [registry]);

  return <RegistryContext.Provider value={registry}>{children}</RegistryContext.Provider>;
}
