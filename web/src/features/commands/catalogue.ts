// Every command of the app, in one table: what buttons, menus, the keyboard
// and the shortcut list (?) offer. Only single keys and Shift+key: Ctrl, Cmd
// and Alt combinations belong to the browser (Ctrl+T, Ctrl+W, Ctrl+L… cannot
// be taken over by a page). A command runs through the scope that a mounted
// page provides (scopes in registry.ts); where that scope is absent the
// command does not apply, so its key is not bound.

import type { Permission, PowerAction } from '../../api/types';
import { PATHS, VM_TABS } from '../../lib/routes';
import { ACTION_INFO, stateLabel } from '../../resources/vm/model';
import type { Command, CommandContext, CommandGroup } from './registry';

/** Why a VM command does nothing now: the VM's state. */
function notNow(title: string, details = false) {
  return (ctx: CommandContext): string | undefined => {
    const t = ctx.vm;
    if (!t || (details && t.where !== 'details')) return undefined;
    return `${title} is not possible for ${t.vm.name} now (${stateLabel(t.vm.state).toLowerCase()})`;
  };
}

/** The power actions as commands, in the order buttons show them. Reset is the VM page's only. */
const POWER: readonly { action: PowerAction; keys: string[]; detail?: string }[] = [
  { action: 'start', keys: ['s'] },
  { action: 'resume', keys: ['p'] },
  { action: 'shutdown', keys: ['Shift+S'] },
  { action: 'reboot', keys: ['Shift+R'] },
  { action: 'pause', keys: ['p'] },
  { action: 'force-off', keys: ['Shift+F'], detail: 'asks first' },
  { action: 'reset', keys: ['Shift+X'], detail: 'asks first' },
];

function powerCommand({ action, keys, detail }: (typeof POWER)[number]): Command {
  const id = `vm.${action}`;
  const title = ACTION_INFO[action].label;
  const detailsOnly = action === 'reset';
  return {
    id,
    title,
    detail,
    group: detailsOnly ? 'VM details' : 'VM',
    keys,
    permission: 'vm.power',
    when: (ctx) => ctx.vm !== undefined && (!detailsOnly || ctx.vm.where === 'details') && (ctx.vm.vm.actions ?? []).includes(action),
    enabled: (ctx) => ctx.vm?.busy(id) !== true,
    why: notNow(title, detailsOnly),
    run: (ctx) => ctx.vm?.power(action),
  };
}

/** The power commands by action. */
export const POWER_COMMANDS = Object.fromEntries(POWER.map((p) => [p.action, powerCommand(p)])) as Record<PowerAction, Command>;

/** The power actions in button order. */
export const POWER_ORDER: readonly PowerAction[] = POWER.map((p) => p.action);

export const VM_CONSOLE: Command = {
  id: 'vm.console',
  title: 'Open console',
  group: 'VM',
  keys: ['c'],
  permission: 'vm.console',
  when: (ctx) => ctx.vm !== undefined,
  run: (ctx) => ctx.vm?.openConsole(),
};

export const VM_SNAPSHOT: Command = {
  id: 'vm.snapshot',
  title: 'Take snapshot',
  group: 'VM',
  keys: ['t'],
  permission: 'vm.snapshot',
  when: (ctx) => ctx.vm !== undefined,
  enabled: (ctx) => ctx.vm?.busy('vm.snapshot') !== true,
  why: () => undefined,
  run: (ctx) => ctx.vm?.takeSnapshot(),
};

export const VM_DELETE: Command = {
  id: 'vm.delete',
  title: 'Delete',
  detail: 'asks first',
  group: 'VM details',
  keys: ['Delete'],
  permission: 'vm.delete',
  when: (ctx) => ctx.vm?.where === 'details' && ctx.vm.remove !== undefined,
  enabled: (ctx) => ctx.vm?.busy('vm.delete') !== true,
  run: (ctx) => ctx.vm?.remove?.(),
};

/** The element a key was pressed in, when it is a card or row of the dashboard and not a link or button (which take Enter themselves). */
function vmKeyOf(target: Element | null): string | undefined {
  if (!target || target.tagName === 'A' || target.tagName === 'BUTTON') return undefined;
  return target.closest<HTMLElement>('[data-vm-key]')?.dataset.vmKey;
}

const TAB_PERMISSION: Partial<Record<(typeof VM_TABS)[number]['id'], Permission>> = { console: 'vm.console', serial: 'vm.console', hardware: 'vm.edit' };

export const COMMANDS: readonly Command[] = [
  // Everywhere.
  {
    id: 'help',
    title: 'Show this list of shortcuts',
    group: 'Everywhere',
    keys: ['?'],
    when: (ctx) => ctx.scopes.console !== undefined || ctx.scopes.help !== undefined,
    // In a console the list is the console's own help while full screen (where the page's dialogs cannot show).
    run: (ctx) => (ctx.scopes.console ? ctx.scopes.console.toggleHelp() : ctx.scopes.help?.toggle()),
  },
  { id: 'nav.dashboard', title: 'Go to the dashboard', group: 'Everywhere', keys: ['g d'], when: (ctx) => ctx.scopes.app !== undefined, run: (ctx) => ctx.scopes.app?.navigate(PATHS.dashboard) },
  { id: 'nav.settings', title: 'Go to settings', group: 'Everywhere', keys: ['g s'], when: (ctx) => ctx.scopes.app !== undefined, run: (ctx) => ctx.scopes.app?.navigate(PATHS.settings) },
  {
    id: 'nav.operations',
    title: 'Show operations (status bar)',
    group: 'Everywhere',
    keys: ['g o'],
    when: (ctx) => ctx.scopes.status !== undefined,
    run: (ctx) => ctx.scopes.status?.showOperations(),
  },
  {
    id: 'nav.audit',
    title: 'Go to the audit log',
    group: 'Everywhere',
    keys: ['g a'],
    permission: 'audit.read',
    when: (ctx) => ctx.scopes.app !== undefined,
    run: (ctx) => ctx.scopes.app?.navigate(PATHS.audit),
  },
  {
    id: 'nav.newVM',
    title: 'New VM',
    group: 'Everywhere',
    keys: ['g n'],
    permission: 'vm.create',
    when: (ctx) => ctx.scopes.app !== undefined,
    run: (ctx) => ctx.scopes.app?.navigate(PATHS.newVM),
  },

  // Dashboard.
  { id: 'dashboard.search', title: 'Search VMs', group: 'Dashboard', keys: ['/'], when: (ctx) => ctx.scopes.dashboard !== undefined, run: (ctx) => ctx.scopes.dashboard?.focusSearch() },
  {
    id: 'dashboard.view',
    title: 'Switch between cards and table',
    group: 'Dashboard',
    keys: ['v'],
    when: (ctx) => ctx.scopes.dashboard !== undefined,
    run: (ctx) => ctx.scopes.dashboard?.toggleView(),
  },
  { id: 'dashboard.next', title: 'Next VM', group: 'Dashboard', keys: ['j'], when: (ctx) => ctx.scopes.dashboard !== undefined, run: (ctx) => ctx.scopes.dashboard?.move(1) },
  { id: 'dashboard.previous', title: 'Previous VM', group: 'Dashboard', keys: ['k'], when: (ctx) => ctx.scopes.dashboard !== undefined, run: (ctx) => ctx.scopes.dashboard?.move(-1) },
  {
    id: 'dashboard.open',
    title: 'Open the selected VM',
    group: 'Dashboard',
    keys: ['Enter'],
    when: (ctx) => ctx.scopes.dashboard !== undefined && vmKeyOf(ctx.target) !== undefined,
    run: (ctx) => {
      const key = vmKeyOf(ctx.target);
      if (key) ctx.scopes.dashboard?.open(key);
    },
  },

  // The VM of the focused card or row, or of the open page.
  ...POWER.filter((p) => p.action !== 'reset').map((p) => POWER_COMMANDS[p.action]),
  VM_CONSOLE,
  VM_SNAPSHOT,

  // A VM's page.
  ...VM_TABS.map(
    (t): Command => ({
      id: `details.tab.${t.id}`,
      title: `${t.label} tab`,
      group: 'VM details',
      keys: [t.key],
      permission: TAB_PERMISSION[t.id],
      when: (ctx) => ctx.scopes.details !== undefined,
      run: (ctx) => ctx.scopes.details?.showTab(t.id),
    }),
  ),
  POWER_COMMANDS.reset,
  VM_DELETE,
  { id: 'details.back', title: 'Back to the dashboard', group: 'VM details', keys: ['Backspace'], when: (ctx) => ctx.scopes.details !== undefined, run: (ctx) => ctx.scopes.details?.back() },

  // The Snapshots tab (the command says why when nothing is selected or an operation runs).
  {
    id: 'snapshot.new',
    title: 'New snapshot',
    detail: 't works too',
    group: 'Snapshots tab',
    keys: ['n'],
    permission: 'vm.snapshot',
    when: (ctx) => ctx.scopes.snapshots !== undefined,
    run: (ctx) => ctx.scopes.snapshots?.create(),
  },
  {
    id: 'snapshot.revert',
    title: 'Revert to the selected snapshot',
    detail: 'asks first',
    group: 'Snapshots tab',
    keys: ['r'],
    permission: 'vm.snapshot',
    when: (ctx) => ctx.scopes.snapshots !== undefined,
    run: (ctx) => ctx.scopes.snapshots?.revert(),
  },
  {
    id: 'snapshot.delete',
    title: 'Delete the selected snapshot',
    detail: 'asks first',
    group: 'Snapshots tab',
    keys: ['Shift+D'],
    permission: 'vm.snapshot',
    when: (ctx) => ctx.scopes.snapshots !== undefined,
    run: (ctx) => ctx.scopes.snapshots?.remove(),
  },
  {
    id: 'snapshot.edit',
    title: 'Edit the selected snapshot’s description',
    group: 'Snapshots tab',
    keys: ['e'],
    permission: 'vm.snapshot',
    when: (ctx) => ctx.scopes.snapshots !== undefined,
    run: (ctx) => ctx.scopes.snapshots?.edit(),
  },

  // The graphical console (while its screen does not have focus: then every key goes to the VM).
  {
    id: 'console.fullscreen',
    title: 'Full screen on and off (can be given to the VM in Settings)',
    group: 'Graphical console',
    keys: ['F11'],
    permission: 'vm.console',
    when: (ctx) => ctx.scopes.console?.toggleFullscreen !== undefined,
    run: (ctx, e) => {
      if (!e?.repeat) ctx.scopes.console?.toggleFullscreen?.();
    },
  },
  {
    id: 'console.help',
    title: 'Console help, when the screen does not have focus',
    group: 'Graphical console',
    keys: ['F1'],
    permission: 'vm.console',
    when: (ctx) => ctx.scopes.console !== undefined,
    run: (ctx) => ctx.scopes.console?.showHelp(),
  },
];

/** Keys that components handle themselves (a focused tree, terminal or screen), listed beside the commands. */
export interface KeyNote {
  group: CommandGroup;
  keys: string;
  text: string;
  permission?: Permission;
}

export const KEY_NOTES: readonly KeyNote[] = [
  { group: 'Everywhere', keys: 'Escape', text: 'Close a dialog or menu; leave the search box' },
  { group: 'Everywhere', keys: 'Tab / Shift+Tab', text: 'Move between controls' },
  { group: 'Snapshots tab', keys: '↑ ↓ ← →', text: 'In the tree: move, collapse, expand' },
  { group: 'Snapshots tab', keys: 'Home End', text: 'In the tree: first, last node' },
  { group: 'Snapshots tab', keys: '*', text: 'In the tree: expand all siblings' },
  { group: 'Snapshots tab', keys: 'Delete', text: 'In the tree: delete the focused snapshot (asks first)', permission: 'vm.snapshot' },
  { group: 'Snapshots tab', keys: 'Enter', text: 'In the tree: go to the details' },
  { group: 'Snapshots tab', keys: 'Shift+F10', text: 'In the tree: the node’s menu (or the Menu key)' },
  { group: 'Serial console', keys: 'Ctrl+Shift+F', text: 'Find in scrollback', permission: 'vm.console' },
  { group: 'Serial console', keys: 'Ctrl+Shift+C', text: 'Copy the selection', permission: 'vm.console' },
  { group: 'Serial console', keys: 'Ctrl+Shift+V', text: 'Paste', permission: 'vm.console' },
  { group: 'Serial console', keys: 'Ctrl+]', text: 'Leave the terminal (to its toolbar)', permission: 'vm.console' },
  {
    group: 'Graphical console',
    keys: 'Esc',
    text: 'In full screen: a short press goes to the VM; hold it to leave full screen (Chrome, Edge)',
    permission: 'vm.console',
  },
];

/** The headings of the shortcut list. */
export const GROUP_TITLES: Readonly<Record<CommandGroup, string>> = {
  Everywhere: 'Everywhere',
  Dashboard: 'Dashboard',
  VM: 'The selected VM (dashboard) or the open VM (details)',
  'VM details': 'VM details',
  'Snapshots tab': 'Snapshots tab',
  'Serial console': 'Serial console (while the terminal has focus, other keys go to the VM)',
  'Graphical console': 'Graphical console (click the screen: then every key goes to the VM)',
};

/** Browser-reserved combinations we deliberately leave alone, named in the list. */
export const RESERVED = ['Ctrl+T', 'Ctrl+W', 'Ctrl+R', 'Ctrl+L', 'Ctrl+N', 'Ctrl+Tab', 'Ctrl+F', 'F5', 'Alt+←/→'];
