// The commands at run time: the scopes that mounted pages provide, the VM
// targets that cards, rows and the VM page provide, and the one keydown
// listener that matches keys (and sequences such as "g d") against the
// commands that apply, never while the user types in a field or a terminal,
// nor while a dialog or menu is open.

import { createContext, useContext, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { toast } from 'sonner';
import { isTypingTarget, keyName, SequenceMatcher } from '../../lib/keys';
import { createStore } from '../../lib/store';
import { vmKey } from '../../resources/vm/model';
import type { Access } from '../security/access';
import { useAccess } from '../security/useAccess';
import { COMMANDS } from './catalogue';
import { applies, boundKeys, enabled, resolveKey, type Command, type CommandContext, type ScopeName, type Scopes, type VMTarget } from './registry';

interface Ref<T> {
  current: T;
}

/** What is mounted now: scopes by name (the last mounted wins), VM targets by card key, the VM page's target. */
export class ScopeRegistry {
  private scopes = new Map<ScopeName, Ref<unknown>[]>();
  private vms = new Map<string, Ref<VMTarget>[]>();
  private details: Ref<VMTarget>[] = [];

  addScope<K extends ScopeName>(name: K, ref: Ref<Scopes[K]>): () => void {
    this.scopes.set(name, [...(this.scopes.get(name) ?? []), ref]);
    return () => this.scopes.set(name, (this.scopes.get(name) ?? []).filter((r) => r !== ref));
  }

  addVM(ref: Ref<VMTarget>): () => void {
    const { where, vm } = ref.current;
    if (where === 'details') {
      this.details = [...this.details, ref];
      return () => (this.details = this.details.filter((r) => r !== ref));
    }
    const key = vmKey(vm.host, vm.uuid);
    this.vms.set(key, [...(this.vms.get(key) ?? []), ref]);
    return () => {
      const list = (this.vms.get(key) ?? []).filter((r) => r !== ref);
      if (list.length) this.vms.set(key, list);
      else this.vms.delete(key);
    };
  }

  /** The scopes mounted now. */
  current(): Partial<Scopes> {
    const out: Record<string, unknown> = {};
    for (const [name, refs] of this.scopes) if (refs.length) out[name] = refs[refs.length - 1]?.current;
    return out;
  }

  /** The VM the VM commands act on: the card or row focus is in, else the open VM page. */
  vmFor(target: Element | null): VMTarget | undefined {
    const key = target?.closest<HTMLElement>('[data-vm-key]')?.dataset.vmKey;
    const card = key ? this.vms.get(key)?.at(-1)?.current : undefined;
    return card ?? this.details.at(-1)?.current;
  }

  context(access: Pick<Access, 'can'>, target: Element | null): CommandContext {
    return { can: access.can, scopes: this.current(), vm: this.vmFor(target), target };
  }
}

const RegistryContext = createContext<ScopeRegistry | null>(null);

/** Whether the shortcut list is open. */
export const helpStore = createStore(false);

function modalOpen(): boolean {
  return document.querySelector('[role="dialog"][data-state="open"], [role="alertdialog"][data-state="open"], [role="menu"][data-state="open"]') !== null;
}

/** Provides a command scope while the calling component is mounted; undefined provides nothing. */
export function useCommandScope<K extends ScopeName>(name: K, value: Scopes[K] | undefined): void {
  const registry = useContext(RegistryContext);
  const ref = useRef(value as Scopes[K]);
  useEffect(() => {
    ref.current = value as Scopes[K];
  });
  const on = value !== undefined;
  useEffect(() => (registry && on ? registry.addScope(name, ref) : undefined), [registry, name, on]);
}

/** A command as a button or menu item shows it: whether it can run now, and what a click does. */
export interface OfferedCommand {
  command: Command;
  disabled: boolean;
  run: () => void;
}

/**
 * Makes target the VM that the VM commands act on while focus is in its card
 * or row (or, for the VM page, while nothing else is focused), and returns
 * which of commands it offers, in their order: the buttons to draw.
 */
export function useVMCommands(target: VMTarget, commands: readonly Command[]): OfferedCommand[] {
  const registry = useContext(RegistryContext);
  const access = useAccess();
  const ref = useRef(target);
  useEffect(() => {
    ref.current = target;
  });
  const { where } = target;
  const key = vmKey(target.vm.host, target.vm.uuid);
  useEffect(() => (registry ? registry.addVM(ref) : undefined), [registry, where, key]);
  const ctx: CommandContext = { can: access.can, scopes: {}, vm: target, target: null };
  return commands.filter((c) => applies(c, ctx)).map((c) => ({ command: c, disabled: !enabled(c, ctx), run: () => c.run(ctx) }));
}

/** Handles one key press: runs the command it names here, or says why not; returns whether the key was used. */
export function handleKey(e: KeyboardEvent, registry: ScopeRegistry, access: Pick<Access, 'can'>, matcher: SequenceMatcher, commands: readonly Command[] = COMMANDS): boolean {
  if (e.defaultPrevented || e.isComposing) return false;
  const name = keyName(e);
  if (!name) return false;
  // Typing in a field, or in a terminal (xterm.js reads keys from a textarea), is never a shortcut.
  if (isTypingTarget(e.target) || modalOpen()) return false;
  const target = e.target instanceof Element ? e.target : null;
  const ctx = registry.context(access, target);
  matcher.setBindingsKeepBuffer(boundKeys(commands, ctx));
  const result = matcher.feed(name);
  if (result.status === 'pending') return true;
  if (result.status === 'none') {
    // A key no command here takes may still be one that says why (a VM's state).
    const out = resolveKey(commands, ctx, name);
    if (out.kind !== 'explain') return false;
    toast.info(out.message);
    return true;
  }
  const out = resolveKey(commands, ctx, result.binding);
  if (out.kind === 'run') out.command.run(ctx, e);
  else if (out.kind === 'explain') toast.info(out.message);
  return out.kind !== 'none';
}

export function CommandsProvider({ children, commands = COMMANDS }: { children: ReactNode; commands?: readonly Command[] }) {
  const registry = useMemo(() => new ScopeRegistry(), []);
  const access = useAccess();
  const accessRef = useRef(access);
  useEffect(() => {
    accessRef.current = access;
  });

  useEffect(() => {
    const matcher = new SequenceMatcher([]);
    const onKey = (e: KeyboardEvent) => {
      if (handleKey(e, registry, accessRef.current, matcher, commands)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [registry, commands]);

  return <RegistryContext.Provider value={registry}>{children}</RegistryContext.Provider>;
}
