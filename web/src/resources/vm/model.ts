// The VM model: state labels, the actions each state allows (mirroring
// internal/lifecycle), action wording, normalising what the server sends,
// and VM list helpers. Pure (no React, no cache), so that shared
// components may use it too; the wire type itself is api/types' VM.

import type { Host, PowerAction, VM, VMState } from '../../api/types';
import type { DashboardFilter } from '../../lib/routes';

// Paths are built by the route table; re-exported here for the many callers that build a VM's link.
export { vmHref, VM_TAB_IDS as DETAILS_TABS, type VMTab as DetailsTab, type SortKey } from '../../lib/routes';

export const STATE_LABELS: Record<VMState, string> = {
  running: 'Running',
  paused: 'Paused',
  shutoff: 'Shut off',
  'shutting-down': 'Shutting down',
  crashed: 'Crashed',
  pmsuspended: 'Suspended',
  blocked: 'Blocked',
  nostate: 'No state',
};

/** The label shown for a VM state; unknown states are shown as they come. */
export function stateLabel(state: string): string {
  return (STATE_LABELS as Record<string, string | undefined>)[state] ?? state;
}

/** A coarse tone for colouring a state. */
export type StateTone = 'ok' | 'warn' | 'off' | 'bad' | 'busy';

export function stateTone(state: string): StateTone {
  switch (state) {
    case 'running':
    case 'blocked':
      return 'ok';
    case 'paused':
    case 'pmsuspended':
      return 'warn';
    case 'shutting-down':
      return 'busy';
    case 'crashed':
      return 'bad';
    default:
      return 'off';
  }
}

/** Whether a VM counts as running for stats and graphs. */
export function isActive(state: string): boolean {
  return state === 'running' || state === 'blocked' || state === 'paused' || state === 'shutting-down';
}

/** Every power action, in the order menus show them (as the server's lifecycle.Actions). */
export const POWER_ACTIONS: readonly PowerAction[] = ['start', 'shutdown', 'reboot', 'force-off', 'reset', 'pause', 'resume'];

const ALLOWED_FROM: Record<PowerAction, readonly string[]> = {
  start: ['shutoff', 'crashed'],
  shutdown: ['running', 'blocked'],
  reboot: ['running', 'blocked'],
  'force-off': ['running', 'blocked', 'paused', 'shutting-down', 'crashed', 'pmsuspended'],
  reset: ['running', 'blocked', 'paused'],
  pause: ['running', 'blocked'],
  resume: ['paused'],
};

/** The power actions a state allows, as the server computes them. */
export function allowedActions(state: string): PowerAction[] {
  return POWER_ACTIONS.filter((a) => ALLOWED_FROM[a].includes(state));
}

/**
 * Normalises a VM from the API or an event: arrays the server sends as null
 * become empty, and `actions` (absent on `vm` events) is derived from the state
 * (none for a template).
 */
export function normalizeVM(vm: VM): VM {
  return {
    ...vm,
    disks: vm.disks ?? [],
    nics: vm.nics ?? [],
    graphics: vm.graphics ?? [],
    // A template is cloned, never run: no power action applies.
    actions: vm.template ? [] : (vm.actions ?? allowedActions(vm.state)),
  };
}

export interface ActionInfo {
  /** The button's accessible name. */
  label: string;
  /** What a toast says once done, after the VM's name. */
  done: string;
  /** A confirmation, for actions where data can be lost. */
  confirm?: { title: string; body: string };
}

export const ACTION_INFO: Record<PowerAction, ActionInfo> = {
  start: { label: 'Start', done: 'started' },
  shutdown: { label: 'Shut down', done: 'is shut down' },
  reboot: { label: 'Reboot', done: 'is rebooting' },
  'force-off': {
    label: 'Force off',
    done: 'was forced off',
    confirm: {
      title: 'Force off',
      body: 'The VM will be powered off immediately, like pulling the plug; unsaved data in the guest is lost.',
    },
  },
  reset: {
    label: 'Reset',
    done: 'was reset',
    confirm: {
      title: 'Reset',
      body: 'The VM will be restarted immediately, like pressing its reset button; unsaved data in the guest is lost.',
    },
  },
  pause: { label: 'Pause', done: 'is paused' },
  resume: { label: 'Resume', done: 'resumed' },
};

/** The identity of a VM across hosts. */
export function vmKey(host: string, uuid: string): string {
  return `${host}/${uuid}`;
}

/** The dashboard's filters: their type and the VM page's paths live in the route table. */
export type VMFilter = DashboardFilter;

const STATE_ORDER: Record<string, number> = {
  running: 0,
  blocked: 1,
  'shutting-down': 2,
  paused: 3,
  pmsuspended: 4,
  crashed: 5,
  nostate: 6,
  shutoff: 7,
};

/** Whether a VM matches the search text (name, title, UUID, addresses, description). */
export function matchesSearch(vm: VM, search: string): boolean {
  const q = search.trim().toLowerCase();
  if (!q) return true;
  return q.split(/\s+/).every(
    (word) =>
      vm.name.toLowerCase().includes(word) ||
      (vm.title?.toLowerCase().includes(word) ?? false) ||
      vm.uuid.startsWith(word) ||
      (vm.addresses?.some((a) => a.ip.toLowerCase().includes(word)) ?? false) ||
      stateLabel(vm.state).toLowerCase() === word,
  );
}

export function matchesState(vm: VM, state: VMFilter['state']): boolean {
  switch (state) {
    case 'all':
      return true;
    case 'running':
      return vm.state === 'running' || vm.state === 'blocked';
    case 'paused':
      return vm.state === 'paused' || vm.state === 'pmsuspended';
    case 'shutoff':
      return vm.state === 'shutoff';
    case 'other':
      return !['running', 'blocked', 'paused', 'pmsuspended', 'shutoff'].includes(vm.state);
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * Filters and sorts VMs. `cpuOf` gives a VM's current CPU % for the "cpu"
 * sort (read once, so the order does not jump on every stats tick).
 */
export function filterAndSort(vms: readonly VM[], f: VMFilter, cpuOf?: (vm: VM) => number | undefined): VM[] {
  const out = vms.filter((vm) => (f.host === '' || vm.host === f.host) && matchesState(vm, f.state) && matchesSearch(vm, f.search));
  const byName = (a: VM, b: VM) => collator.compare(a.name, b.name) || a.uuid.localeCompare(b.uuid);
  let cmp: (a: VM, b: VM) => number;
  switch (f.sort) {
    case 'name':
      cmp = byName;
      break;
    case 'state':
      cmp = (a, b) => (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) || byName(a, b);
      break;
    case 'vcpus':
      cmp = (a, b) => b.vcpus - a.vcpus || byName(a, b);
      break;
    case 'memory':
      cmp = (a, b) => b.memoryMaxKiB - a.memoryMaxKiB || byName(a, b);
      break;
    case 'cpu': {
      const cpu = new Map(out.map((vm) => [vm, cpuOf?.(vm) ?? -1]));
      cmp = (a, b) => (cpu.get(b) ?? -1) - (cpu.get(a) ?? -1) || byName(a, b);
      break;
    }
  }
  return out.sort(cmp);
}

export interface HostGroup {
  host: string;
  info: Host | undefined;
  vms: VM[];
  /** VMs of this host before filtering. */
  total: number;
}

/**
 * Groups VMs by host, in host order (hosts as configured, then any host only
 * VMs name). With a host filter only that host's group is kept.
 */
export function groupByHost(vms: readonly VM[], all: readonly VM[], hosts: readonly Host[], hostFilter = ''): HostGroup[] {
  const names: string[] = hosts.map((h) => h.name);
  for (const vm of all) if (!names.includes(vm.host)) names.push(vm.host);
  const totals = new Map<string, number>();
  for (const vm of all) totals.set(vm.host, (totals.get(vm.host) ?? 0) + 1);
  const groups = new Map<string, HostGroup>(
    names.map((n) => [n, { host: n, info: hosts.find((h) => h.name === n), vms: [], total: totals.get(n) ?? 0 }]),
  );
  for (const vm of vms) groups.get(vm.host)?.vms.push(vm);
  return [...groups.values()].filter((g) => hostFilter === '' || g.host === hostFilter);
}

/** A state's place in the "state" sort: running first, shut off last. */
export function stateRank(state: string): number {
  return STATE_ORDER[state] ?? 9;
}
