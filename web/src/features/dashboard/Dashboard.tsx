// The dashboard: every VM of every host, grouped by host, as cards or a
// table, with search, filters and sort. State and stats arrive as events.
// The filters live in the address (?q=&state=&host=&sort=), so that a
// reload, a bookmark or the back button keep them; so does the "take a
// snapshot" intent of a card (?do=snapshot&vm=host/uuid), which opens the
// snapshot dialog here.

import { LayoutGrid, Search, Table } from 'lucide-react';
import { ScheduleAlertBanner } from '../schedules/ScheduleAlerts';
import { lazy, Suspense, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { statsStore } from '../../api/stats';
import { useHosts } from '../../resources/host/queries';
import { useVMs } from '../../resources/vm/queries';
import type { VM } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { useTitle } from '../../components/useTitle';
import { plural } from '../../lib/format';
import { useStore } from '../../lib/store';
import { dashboardHref, isFiltered as anyFilter, parseDashboard, type DashboardFilter } from '../../lib/routes';
import { filterAndSort, groupByHost, vmHref, vmKey, type SortKey, type VMFilter } from '../../resources/vm/model';
import { dashboardReturnStore } from '../layout/navState';
import { settingsStore, updateSettings } from '../settings/settings';
import { useCommandScope } from '../commands/CommandsProvider';
import { CardGrid, type ViewHandle } from './CardGrid';
import { VMTable } from './VMTable';
import { Button } from '../../ui';
import './dashboard.css';

const cpuOf = (vm: VM) => statsStore.latest(vmKey(vm.host, vm.uuid))?.cpu;
const selectView = (s: { dashboardView: 'cards' | 'table' }) => s.dashboardView;
const EMPTY: VM[] = [];
// The dialog and its snapshot code load when a card asks for it.
const QuickSnapshotDialog = lazy(() => import('../snapshots/QuickSnapshotDialog'));

export default function Dashboard() {
  const vmsQ = useVMs();
  const hostsQ = useHosts();
  const view = useStore(settingsStore, selectView);
  const [, navigate] = useLocation();
  const query = useSearch();
  const { filter, intent } = useMemo(() => parseDashboard(query), [query]);
  const setFilter = useCallback(
    (patch: Partial<DashboardFilter>) => navigate(dashboardHref({ ...parseDashboard(window.location.search).filter, ...patch }), { replace: true }),
    [navigate],
  );
  // "All VMs" and the navigation's Dashboard link come back to these filters.
  const here = dashboardHref(filter);
  useEffect(() => dashboardReturnStore.set(here), [here]);
  // Typing in the search box re-renders at once with the old list; the new
  // list follows when React has time (each field on its own, so that only
  // the search is deferred).
  const search = useDeferredValue(filter.search);
  const { state, host, sort } = filter;
  // The scroll container as state (a callback ref): the views need it in their first layout effects.
  const [scrollEl, setScrollEl] = useState<HTMLDivElement | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const viewRef = useRef<ViewHandle>(null);

  useTitle('Dashboard');
  const vms = vmsQ.data ?? EMPTY;
  const hosts = useMemo(() => hostsQ.data ?? [], [hostsQ.data]);
  const effective: VMFilter = useMemo(() => ({ search, state, host, sort }), [search, state, host, sort]);
  const shown = useMemo(() => filterAndSort(vms, effective, cpuOf), [vms, effective]);
  const groups = useMemo(() => groupByHost(shown, vms, hosts, host), [shown, vms, hosts, host]);
  const ordered = useMemo(() => groups.flatMap((g) => g.vms), [groups]);
  const isFiltered = anyFilter(filter);
  const snapshotVM = intent?.do === 'snapshot' ? vms.find((v) => v.host === intent.vm.host && v.uuid === intent.vm.uuid.toLowerCase()) : undefined;

  const focusVM = useCallback((key: string) => {
    viewRef.current?.scrollToVM(key);
    // Wait for the virtualiser to render the row, then focus the VM's link.
    const tryFocus = (attempt: number) => {
      const el = document.querySelector<HTMLElement>(`[data-vm-key="${CSS.escape(key)}"] .vm-name`);
      if (el) {
        el.focus();
        el.scrollIntoView({ block: 'nearest' });
      } else if (attempt < 5) requestAnimationFrame(() => tryFocus(attempt + 1));
    };
    requestAnimationFrame(() => tryFocus(0));
  }, []);

  const move = useCallback(
    (delta: number) => {
      if (ordered.length === 0) return;
      const current = document.activeElement instanceof HTMLElement ? document.activeElement.closest<HTMLElement>('[data-vm-key]')?.dataset.vmKey : undefined;
      const i = current ? ordered.findIndex((vm) => vmKey(vm.host, vm.uuid) === current) : -1;
      const next = i < 0 ? (delta > 0 ? 0 : ordered.length - 1) : Math.min(ordered.length - 1, Math.max(0, i + delta));
      const vm = ordered[next];
      if (vm) focusVM(vmKey(vm.host, vm.uuid));
    },
    [ordered, focusVM],
  );

  useCommandScope('dashboard', {
    focusSearch: () => {
      searchRef.current?.focus();
      searchRef.current?.select();
    },
    toggleView: () => updateSettings({ dashboardView: view === 'cards' ? 'table' : 'cards' }),
    move,
    open: (key) => {
      const vm = ordered.find((v) => vmKey(v.host, v.uuid) === key);
      if (vm) navigate(vmHref(vm.host, vm.uuid));
    },
  });

  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      if (filter.search) setFilter({ search: '' });
      else e.currentTarget.blur();
      e.preventDefault();
    } else if (e.key === 'Enter' || e.key === 'ArrowDown') {
      const first = ordered[0];
      if (first) {
        e.preventDefault();
        focusVM(vmKey(first.host, first.uuid));
      }
    }
  };

  return (
    <div className="dashboard">
      <h1 className="sr-only">Virtual machines</h1>
      <ScheduleAlertBanner />
      <div className="toolbar" role="search">
        <div className="search">
          <Search size={16} aria-hidden className="search-icon" />
          <label htmlFor="vm-search" className="sr-only">
            Search VMs
          </label>
          <input
            id="vm-search"
            ref={searchRef}
            type="search"
            placeholder="Search VMs  ( / )"
            value={filter.search}
            onChange={(e) => setFilter({ search: e.target.value })}
            onKeyDown={onSearchKey}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <label className="field-inline">
          <span>State</span>
          <select value={filter.state} onChange={(e) => setFilter({ state: e.target.value as VMFilter['state'] })}>
            <option value="all">All states</option>
            <option value="running">Running</option>
            <option value="paused">Paused / suspended</option>
            <option value="shutoff">Shut off</option>
            <option value="other">Other (crashed, …)</option>
          </select>
        </label>
        <label className="field-inline">
          <span>Host</span>
          <select value={filter.host} onChange={(e) => setFilter({ host: e.target.value })}>
            <option value="">All hosts</option>
            {hosts.map((h) => (
              <option key={h.name} value={h.name}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          <span>Sort by</span>
          <select value={filter.sort} onChange={(e) => setFilter({ sort: e.target.value as SortKey })}>
            <option value="name">Name</option>
            <option value="state">State</option>
            <option value="cpu">CPU usage</option>
            <option value="memory">Memory</option>
            <option value="vcpus">vCPUs</option>
          </select>
        </label>
        <span className="toolbar-count muted" aria-live="polite">
          {vmsQ.isSuccess && (isFiltered ? `${shown.length} of ${plural(vms.length, 'VM')}` : plural(vms.length, 'VM'))}
        </span>
        <div className="segmented" role="group" aria-label="View">
          <button type="button" aria-pressed={view === 'cards'} onClick={() => updateSettings({ dashboardView: 'cards' })} title="Cards (v)">
            <LayoutGrid size={15} aria-hidden /> Cards
          </button>
          <button type="button" aria-pressed={view === 'table'} onClick={() => updateSettings({ dashboardView: 'table' })} title="Table (v)">
            <Table size={15} aria-hidden /> Table
          </button>
        </div>
      </div>

      <div className="vm-scroll" ref={setScrollEl}>
        {vmsQ.isPending ? (
          <div className="placeholder muted" role="status">
            Loading VMs…
          </div>
        ) : vmsQ.isError && !vmsQ.data ? (
          <ErrorNote error={vmsQ.error} title="The VM list could not be read" onRetry={() => void vmsQ.refetch()} />
        ) : vms.length === 0 && hosts.length === 0 ? (
          <div className="placeholder muted">No hosts are configured.</div>
        ) : isFiltered && shown.length === 0 ? (
          <div className="placeholder muted">
            No VMs match.{' '}
            <Button variant="link" onClick={() => setFilter({ search: '', state: 'all', host: '' })}>
              Clear the filters
            </Button>
          </div>
        ) : view === 'cards' ? (
          <CardGrid ref={viewRef} groups={groups} filtered={isFiltered} scrollEl={scrollEl} />
        ) : (
          <VMTable ref={viewRef} groups={groups} filtered={isFiltered} scrollEl={scrollEl} />
        )}
      </div>
      {snapshotVM && (
        <Suspense fallback={null}>
          <QuickSnapshotDialog vm={snapshotVM} onClose={() => navigate(dashboardHref(parseDashboard(window.location.search).filter), { replace: true })} />
        </Suspense>
      )}
    </div>
  );
}
