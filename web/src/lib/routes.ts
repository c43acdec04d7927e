// The route table: every page's path pattern, a typed builder for each, and
// the UI state that lives in the address (the dashboard's filters, a VM
// page's tab, intents such as "take a snapshot"). Pages read their state
// from here and links are built here, so a path is written once.
//
// A VM's tabs are children of the VM's route (VM_TABS): a new tab
// (Hardware, Schedules) is one more row there.

/** Path patterns, in wouter's syntax. */
export const PATHS = {
  dashboard: '/',
  login: '/login',
  settings: '/settings',
  sessions: '/sessions',
  audit: '/audit',
  hosts: '/hosts',
  storage: '/storage',
  networks: '/networks',
  newVM: '/new-vm',
  schedules: '/schedules',
  recordings: '/recordings',
  recording: '/recordings/:id',
  /** A VM's page and its tabs (VM_TABS): /vms/:host/:uuid[/:tab]. */
  vm: '/vms/:host/:uuid/:tab?',
  consolePopout: '/popout/console/:host/:uuid',
  serialPopout: '/popout/serial/:host/:uuid',
} as const;

/** The children of a VM's route: its tabs, in order. The first is the VM's own address. */
export const VM_TABS = [
  { id: 'overview', label: 'Overview', key: '1' },
  { id: 'console', label: 'Console', key: '2' },
  { id: 'serial', label: 'Serial', key: '3' },
  { id: 'snapshots', label: 'Snapshots', key: '4' },
  { id: 'hardware', label: 'Hardware', key: '5' },
] as const;

export type VMTab = (typeof VM_TABS)[number]['id'];
export const VM_TAB_IDS: readonly VMTab[] = VM_TABS.map((t) => t.id);

/** A tab named in an address, or the first tab for anything else. */
export function parseVMTab(t: string | undefined): VMTab {
  return (VM_TAB_IDS as readonly (string | undefined)[]).includes(t) ? (t as VMTab) : 'overview';
}

/** Intents: something the page that opens should do once (open a dialog), carried as `do=`. */
export type Intent = 'snapshot';
const INTENTS: readonly string[] = ['snapshot'];

/** A VM's identity in an address (`host/uuid`). */
export interface VMRef {
  host: string;
  uuid: string;
}

const enc = encodeURIComponent;

function withQuery(path: string, p: URLSearchParams): string {
  const q = p.toString();
  return q ? `${path}?${q}` : path;
}

/** The path of a VM's page, on a tab (the overview has none), with an intent for that tab. */
export function vmHref(host: string, uuid: string, tab?: VMTab, intent?: Intent): string {
  const base = `/vms/${enc(host)}/${enc(uuid)}`;
  const path = tab && tab !== 'overview' ? `${base}/${tab}` : base;
  const p = new URLSearchParams();
  if (intent) p.set('do', intent);
  return withQuery(path, p);
}

/** A console's own window. */
export function popoutHref(kind: 'console' | 'serial', host: string, uuid: string): string {
  return `/popout/${kind}/${enc(host)}/${enc(uuid)}`;
}

/** The intent an address carries (`?do=`), if it is one we know. */
export function parseIntent(search: string): Intent | null {
  const v = new URLSearchParams(search).get('do');
  return v !== null && INTENTS.includes(v) ? (v as Intent) : null;
}

/** The search string without the intent (for replacing the address once it is done). */
export function withoutIntent(search: string): string {
  const p = new URLSearchParams(search);
  p.delete('do');
  p.delete('vm');
  return p.toString();
}

// ---- the dashboard's filters -------------------------------------------------

export type StateFilter = 'all' | 'running' | 'paused' | 'shutoff' | 'other';
export type SortKey = 'name' | 'state' | 'vcpus' | 'memory' | 'cpu';
const STATE_FILTERS: readonly string[] = ['all', 'running', 'paused', 'shutoff', 'other'];
const SORT_KEYS: readonly string[] = ['name', 'state', 'vcpus', 'memory', 'cpu'];

/** The dashboard's search, filters and sort, as its address holds them (`?q=&state=&host=&sort=`). */
export interface DashboardFilter {
  search: string;
  state: StateFilter;
  host: string; // '' for all
  sort: SortKey;
}

export const DEFAULT_FILTER: DashboardFilter = { search: '', state: 'all', host: '', sort: 'name' };

/** The dashboard's state in its address: filters, and an intent with the VM it is for. */
export interface DashboardState {
  filter: DashboardFilter;
  intent: { do: Intent; vm: VMRef } | null;
}

/** Reads `host/uuid` (the UUID has no slash; a host name might). */
export function parseVMRef(s: string | null): VMRef | null {
  if (!s) return null;
  const i = s.lastIndexOf('/');
  if (i <= 0 || i === s.length - 1) return null;
  return { host: s.slice(0, i), uuid: s.slice(i + 1) };
}

/** The dashboard's state from its search string; unknown values fall back to the defaults. */
export function parseDashboard(search: string): DashboardState {
  const p = new URLSearchParams(search);
  const state = p.get('state') ?? '';
  const sort = p.get('sort') ?? '';
  const filter: DashboardFilter = {
    search: p.get('q') ?? '',
    state: STATE_FILTERS.includes(state) ? (state as StateFilter) : 'all',
    host: p.get('host') ?? '',
    sort: SORT_KEYS.includes(sort) ? (sort as SortKey) : 'name',
  };
  const intent = parseIntent(search);
  const vm = parseVMRef(p.get('vm'));
  return { filter, intent: intent && vm ? { do: intent, vm } : null };
}

/** The dashboard's address for filters (defaults left out) and an intent. */
export function dashboardHref(filter: Partial<DashboardFilter> = {}, intent?: { do: Intent; vm: VMRef }): string {
  const f = { ...DEFAULT_FILTER, ...filter };
  const p = new URLSearchParams();
  if (f.search !== '') p.set('q', f.search);
  if (f.state !== 'all') p.set('state', f.state);
  if (f.host !== '') p.set('host', f.host);
  if (f.sort !== 'name') p.set('sort', f.sort);
  if (intent) {
    p.set('do', intent.do);
    p.set('vm', `${intent.vm.host}/${intent.vm.uuid}`);
  }
  return withQuery('/', p);
}

/** Whether any filter narrows the list (the sort does not). */
export function isFiltered(f: DashboardFilter): boolean {
  return f.search.trim() !== '' || f.state !== 'all' || f.host !== '';
}

// ---- the other pages -----------------------------------------------------------

export const settingsHref = (): string => PATHS.settings;
export const sessionsHref = (): string => PATHS.sessions;

/** The audit log, filtered (the page reads these with its own filtersFromSearch). */
export function auditHref(f: { user?: string; vm?: string; action?: string } = {}): string {
  const p = new URLSearchParams();
  for (const k of ['user', 'vm', 'action'] as const) {
    const v = f[k]?.trim();
    if (v) p.set(k, v);
  }
  return withQuery(PATHS.audit, p);
}

/** The page a path belongs to, for the navigation's "you are here". */
export type Section = 'dashboard' | 'vm' | 'hosts' | 'storage' | 'networks' | 'newVM' | 'schedules' | 'recordings' | 'audit' | 'settings' | 'sessions' | 'other';

export function sectionOf(path: string): Section {
  if (path === '/') return 'dashboard';
  if (path.startsWith('/vms/')) return 'vm';
  for (const s of ['hosts', 'storage', 'networks', 'newVM', 'schedules', 'recordings', 'audit', 'settings', 'sessions'] as const) {
    if (path === PATHS[s] || path.startsWith(`${PATHS[s]}/`)) return s;
  }
  return 'other';
}

/** The VM a path shows (/vms/:host/:uuid/...), decoded, with its UUID in lower case as the API has it. */
export function vmOfPath(path: string): VMRef | null {
  const m = /^\/vms\/([^/]+)\/([^/]+)(?:\/|$)/.exec(path);
  if (!m?.[1] || !m[2]) return null;
  try {
    return { host: decodeURIComponent(m[1]), uuid: decodeURIComponent(m[2]).toLowerCase() };
  } catch {
    return null;
  }
}
