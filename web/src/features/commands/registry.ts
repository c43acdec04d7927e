// The command registry's rules, free of React and the DOM: what a command
// is (id, title, keys, permission, when, run), which commands a role sees,
// which are bound in a context, and which keys would clash. Buttons, menus,
// the keyboard and the shortcut list all read the same commands
// (catalogue.ts); mounted pages only provide the scopes they act on.

import type { Permission, PowerAction, VM } from '../../api/types';
import type { VMTab } from '../../lib/routes';

/** What the VM commands act on: the focused card or row, else the open VM page. */
export interface VMTarget {
  vm: Pick<VM, 'host' | 'uuid' | 'name' | 'state' | 'actions'>;
  /** A card or table row on the dashboard, or the VM's own page (which alone offers Reset and Delete). */
  where: 'card' | 'details';
  /** Whether the command cannot run now although it applies (the host is down, an action is in flight). */
  busy: (commandId: string) => boolean;
  power: (action: PowerAction) => void;
  openConsole: () => void;
  takeSnapshot: () => void;
  /** Asks to delete the VM (the details page only). */
  remove?: () => void;
}

/** What mounted pages offer the commands, one slice each, present while they are mounted. */
export interface Scopes {
  app: { navigate: (path: string) => void };
  dashboard: {
    focusSearch: () => void;
    toggleView: () => void;
    move: (delta: number) => void;
    /** Opens the VM of a card or row (its data-vm-key). */
    open: (key: string) => void;
  };
  details: { showTab: (tab: VMTab) => void; back: () => void };
  snapshots: { create: () => void; revert: () => void; remove: () => void; edit: () => void };
  console: {
    /** Toggles full screen; absent when F11 is left to the browser (a setting). */
    toggleFullscreen?: (() => void) | undefined;
    showHelp: () => void;
    toggleHelp: () => void;
  };
  status: { showOperations: () => void };
  help: { toggle: () => void };
}

export type ScopeName = keyof Scopes;

/** Everything a command may look at when it decides whether it applies, and when it runs. */
export interface CommandContext {
  can: (p: Permission) => boolean;
  scopes: Partial<Scopes>;
  vm: VMTarget | undefined;
  /** The element the key was pressed in (focus); null for a click. */
  target: Element | null;
}

/** The groups of the shortcut list, in order. */
export const GROUPS = ['Everywhere', 'Dashboard', 'VM', 'VM details', 'Snapshots tab', 'Serial console', 'Graphical console'] as const;
export type CommandGroup = (typeof GROUPS)[number];

export interface Command {
  /** Stable name: "vm.shutdown", "nav.dashboard". */
  id: string;
  /** What a button or menu item says, and the shortcut list. */
  title: string;
  /** A few words the shortcut list adds ("asks first"). */
  detail?: string | undefined;
  group: CommandGroup;
  /** Single keys or sequences ("g d") as lib/keys names them; the first is the one shown on buttons. */
  keys?: readonly string[];
  /** A role without it gets the command nowhere: no button, no menu item, no key, no line in the list. */
  permission?: Permission | undefined;
  /** Whether the command applies here (its scope is mounted, the VM's state allows it); else it is neither bound nor shown. */
  when?: (ctx: CommandContext) => boolean;
  /** Whether it can run now; a disabled button, and a key that says why. */
  enabled?: (ctx: CommandContext) => boolean;
  /** Why the command does nothing here, said when its key is pressed where `when` fails; undefined: stay silent. */
  why?: (ctx: CommandContext) => string | undefined;
  run: (ctx: CommandContext, e?: KeyboardEvent) => void;
}

/** Whether the user's role may use the command at all (shown in the list, bound somewhere). */
export function permitted(cmd: Command, ctx: Pick<CommandContext, 'can'>): boolean {
  return cmd.permission === undefined || ctx.can(cmd.permission);
}

/** Whether the command is offered in this context: permitted and applying. */
export function applies(cmd: Command, ctx: CommandContext): boolean {
  return permitted(cmd, ctx) && (cmd.when?.(ctx) ?? true);
}

/** Whether an offered command can run now. */
export function enabled(cmd: Command, ctx: CommandContext): boolean {
  return applies(cmd, ctx) && (cmd.enabled?.(ctx) ?? true);
}

/** The key bindings in a context: each key of each offered command (the first command wins a clash). */
export function bindings(commands: readonly Command[], ctx: CommandContext): Map<string, Command> {
  const out = new Map<string, Command>();
  for (const cmd of commands) {
    if (!applies(cmd, ctx)) continue;
    for (const k of cmd.keys ?? []) if (!out.has(k)) out.set(k, cmd);
  }
  return out;
}

/** What a key press does: run a command, say why it cannot, or nothing (the key goes on to the page). */
export type KeyOutcome = { kind: 'run'; command: Command } | { kind: 'explain'; command: Command; message: string } | { kind: 'none' };

export function resolveKey(commands: readonly Command[], ctx: CommandContext, key: string): KeyOutcome {
  const cmd = bindings(commands, ctx).get(key);
  if (cmd) {
    if (cmd.enabled?.(ctx) ?? true) return { kind: 'run', command: cmd };
    return { kind: 'explain', command: cmd, message: cmd.why?.(ctx) ?? `${cmd.title} is not possible now` };
  }
  // Not offered here: a permitted command with this key may say why (a VM's state), never a forbidden one.
  for (const c of commands) {
    if (!c.keys?.includes(key) || !permitted(c, ctx)) continue;
    const message = c.why?.(ctx);
    if (message) return { kind: 'explain', command: c, message };
  }
  return { kind: 'none' };
}

/** Every key of the offered commands, for the sequence matcher. */
export function boundKeys(commands: readonly Command[], ctx: CommandContext): string[] {
  return [...bindings(commands, ctx).keys()];
}

export interface Conflict {
  key: string;
  ids: string[];
}

/** Keys that two offered commands share in one of the given contexts (each context is checked on its own). */
export function conflicts(commands: readonly Command[], contexts: readonly CommandContext[]): Conflict[] {
  const seen = new Map<string, Conflict>();
  for (const ctx of contexts) {
    const byKey = new Map<string, string[]>();
    for (const cmd of commands) {
      if (!applies(cmd, ctx)) continue;
      for (const k of cmd.keys ?? []) byKey.set(k, [...(byKey.get(k) ?? []), cmd.id]);
    }
    for (const [key, ids] of byKey) {
      if (ids.length < 2) continue;
      const id = `${key}|${ids.join(',')}`;
      if (!seen.has(id)) seen.set(id, { key, ids });
    }
  }
  return [...seen.values()];
}

/** Single keys that also begin a sequence ("g" beside "g d"): the sequence could never be typed. */
export function prefixClashes(commands: readonly Command[]): string[] {
  const keys = new Set(commands.flatMap((c) => c.keys ?? []));
  return [...keys].filter((k) => [...keys].some((other) => other.startsWith(`${k} `)));
}

/** A button's tooltip: "Shut down (Shift+S)". */
export function tipOf(cmd: Command): string {
  const key = cmd.keys?.[0];
  return key ? `${cmd.title} (${key})` : cmd.title;
}

/** The value of aria-keyshortcuts for a command's keys (a sequence is left out: ARIA cannot say it). */
export function ariaKeys(cmd: Command): string | undefined {
  const keys = (cmd.keys ?? []).filter((k) => !k.includes(' '));
  return keys.length ? keys.join(' ') : undefined;
}
