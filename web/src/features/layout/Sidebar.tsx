// The persistent navigation: the app's pages, then every host with its VMs
// and their states as a tree (filterable, keyboard-navigable, virtualised
// so that 500 VMs cost a screenful of rows). Shown beside the page on wide
// screens (the header's Navigation button hides it) and as a drawer on
// narrow ones.

import { useVirtualizer, defaultRangeExtractor, type Range } from '@tanstack/react-virtual';
import { CalendarClock, ChevronRight, CircleAlert, HardDrive, LayoutGrid, LoaderCircle, Network, Pause, Play, ScrollText, Server, Settings, Square, SquarePlus, Video, type LucideIcon } from 'lucide-react';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { useHosts } from '../../resources/host/queries';
import { useVMs } from '../../resources/vm/queries';
import type { VM } from '../../api/types';
import { plural } from '../../lib/format';
import { sectionOf, vmOfPath, type Section } from '../../lib/routes';
import { useStore } from '../../lib/store';
import { stateLabel, stateTone, vmHref, vmKey } from '../../resources/vm/model';
import { HOST_STATE_LABEL } from '../dashboard/HostHeader';
import { useAccess } from '../security/useAccess';
import { buildNavRows, indexOfKey, navKey, type NavRow } from './navTree';
import { closedHostsStore, dashboardReturnStore, navFilterStore, setHostOpen } from './navState';

const ROW_HEIGHT = 30;
const EMPTY: VM[] = [];

interface PageLink {
  section: Section;
  href: string;
  label: string;
  Icon: LucideIcon;
}

/** The app's pages (the navigation landmark "Main"). Hosts, Storage and Networks say what they will hold. */
export function PageLinks() {
  const [location] = useLocation();
  const { can } = useAccess();
  const dashboard = useStore(dashboardReturnStore);
  const here = sectionOf(location);
  const links: PageLink[] = [
    { section: 'dashboard', href: dashboard, label: 'Dashboard', Icon: LayoutGrid },
    { section: 'hosts', href: '/hosts', label: 'Hosts', Icon: Server },
    { section: 'storage', href: '/storage', label: 'Storage', Icon: HardDrive },
    { section: 'networks', href: '/networks', label: 'Networks', Icon: Network },
    { section: 'schedules', href: '/schedules', label: 'Schedules', Icon: CalendarClock },
  ];
  if (can('vm.create')) links.push({ section: 'newVM', href: '/new-vm', label: 'New VM', Icon: SquarePlus });
  if (can('vm.console')) links.push({ section: 'recordings', href: '/recordings', label: 'Recordings', Icon: Video });
  if (can('audit.read')) links.push({ section: 'audit', href: '/audit', label: 'Audit log', Icon: ScrollText });
  links.push({ section: 'settings', href: '/settings', label: 'Settings', Icon: Settings });
  return (
    <nav aria-label="Main" className="side-pages">
      <ul>
        {links.map(({ section, href, label, Icon }) => (
          <li key={section}>
            <Link href={href} className={`side-link${here === section ? ' active' : ''}`} aria-current={here === section ? 'page' : undefined}>
              <Icon size={16} aria-hidden />
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const STATE_ICON: Record<ReturnType<typeof stateTone>, LucideIcon> = {
  ok: Play,
  warn: Pause,
  off: Square,
  bad: CircleAlert,
  busy: LoaderCircle,
};

/** A VM's state as an icon whose shape differs per state (never colour alone), and its words for screen readers. */
function StateIcon({ state }: { state: string }) {
  const tone = stateTone(state);
  const Icon = STATE_ICON[tone];
  return (
    <span className={`side-state tone-${tone}`} title={stateLabel(state)} aria-hidden="true">
      <Icon size={11} aria-hidden strokeWidth={2.5} />
    </span>
  );
}

/** The tree of hosts and VMs, with its filter. */
export function ResourceTree({ onOpen }: { onOpen?: (() => void) | undefined }) {
  const vms = useVMs().data ?? EMPTY;
  const hostsQ = useHosts();
  const hosts = useMemo(() => hostsQ.data ?? [], [hostsQ.data]);
  const [location, navigate] = useLocation();
  const filter = useStore(navFilterStore);
  const closed = useStore(closedHostsStore);
  const rows = useMemo(() => buildNavRows(vms, hosts, filter, closed), [vms, hosts, filter, closed]);
  const open = vmOfPath(location);
  const openKey = open ? vmKey(open.host, open.uuid) : null;

  // The row that takes the tree's Tab stop (roving tabindex): the last one
  // the user moved to while it is listed, else the open VM, else the first.
  const [activeKey, setActiveKey] = useState<string | null>(null);
  let active = indexOfKey(rows, activeKey);
  if (active < 0) active = indexOfKey(rows, openKey);
  if (active < 0 && rows.length > 0) active = 0;

  const [scrollEl, setScrollEl] = useState<HTMLDivElement | null>(null);
  const focusPending = useRef(false);
  const typed = useRef({ text: '', at: 0 });

  // The active row is always rendered, even when scrolled away, so that the tree keeps its Tab stop.
  const rangeExtractor = useCallback(
    (range: Range) => {
      const out = defaultRangeExtractor(range);
      if (active >= 0 && !out.includes(active)) {
        out.push(active);
        out.sort((a, b) => a - b);
      }
      return out;
    },
    [active],
  );

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is used as documented
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollEl,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 10,
    rangeExtractor,
  });

  // Bring the open VM into view when it changes (a link elsewhere opened it).
  useEffect(() => {
    const i = indexOfKey(rows, openKey);
    if (i >= 0) virtualizer.scrollToIndex(i, { align: 'auto' });
    // Only when the open VM changes, not on every list update.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [openKey, scrollEl]);

  // Focus follows the keyboard: once the moved-to row is rendered, focus it.
  useLayoutEffect(() => {
    if (!focusPending.current || !scrollEl) return;
    const key = rows[active]?.key;
    const el = key ? scrollEl.querySelector<HTMLElement>(`[data-nav-key="${CSS.escape(key)}"]`) : null;
    if (el) {
      focusPending.current = false;
      el.focus({ preventScroll: true });
    }
  });

  const moveTo = (i: number) => {
    const r = rows[i];
    if (!r) return;
    focusPending.current = true;
    setActiveKey(r.key);
    virtualizer.scrollToIndex(i, { align: 'auto' });
  };

  const openRow = (r: NavRow | undefined) => {
    if (r?.kind !== 'vm') return;
    setActiveKey(r.key);
    navigate(vmHref(r.vm.host, r.vm.uuid));
    onOpen?.();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    let text = '';
    if (e.key.length === 1 && e.key !== ' ') {
      text = e.timeStamp - typed.current.at < 700 ? typed.current.text + e.key : e.key;
      typed.current = { text, at: e.timeStamp };
    }
    const action = navKey(rows, active, e.key, text);
    if (action.type === 'none') {
      // Printable keys are the tree's (type-ahead), not the app's shortcuts.
      if (e.key.length === 1) e.preventDefault();
      return;
    }
    e.preventDefault();
    switch (action.type) {
      case 'focus':
        moveTo(action.index);
        break;
      case 'expand':
        setHostOpen(action.host, true);
        break;
      case 'collapse':
        setHostOpen(action.host, false);
        moveTo(action.focus);
        break;
      case 'open':
        openRow(rows[action.index]);
        break;
    }
  };

  const onFilterKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'Enter') {
      const first = rows.findIndex((r) => r.kind === 'vm');
      if (first >= 0) {
        e.preventDefault();
        moveTo(first);
      }
    } else if (e.key === 'Escape' && filter) {
      e.preventDefault();
      navFilterStore.set('');
    }
  };

  const vmCount = rows.reduce((n, r) => n + (r.kind === 'vm' ? 1 : 0), 0);
  const filtering = filter.trim() !== '';

  return (
    <section className="side-tree-section" aria-labelledby="side-tree-title">
      <div className="side-tree-head">
        <h2 id="side-tree-title" className="side-title">
          Hosts and VMs
        </h2>
        <span className="side-count muted" aria-live="polite">
          {filtering ? `${vmCount} of ${plural(vms.length, 'VM')}` : plural(vms.length, 'VM')}
        </span>
      </div>
      <div className="side-filter">
        <input
          type="search"
          aria-label="Filter VMs"
          placeholder="Filter VMs"
          value={filter}
          onChange={(e) => navFilterStore.set(e.target.value)}
          onKeyDown={onFilterKey}
          autoComplete="off"
          spellCheck={false}
          // The tree exists only once there are rows: an aria-controls
          // naming a missing id is invalid ARIA (axe: critical).
          aria-controls={rows.length > 0 ? 'side-tree' : undefined}
        />
      </div>
      <div className="side-tree-scroll" ref={setScrollEl}>
        {rows.length === 0 ? (
          <p className="side-empty muted">{filtering ? 'No VMs match.' : hostsQ.isPending ? 'Loading…' : 'No hosts.'}</p>
        ) : (
          <div
            id="side-tree"
            role="tree"
            aria-label="Hosts and VMs"
            className="side-tree"
            style={{ height: virtualizer.getTotalSize() }}
            onKeyDown={onKeyDown}
          >
            {virtualizer.getVirtualItems().map((item) => {
              const r = rows[item.index];
              if (!r) return null;
              const common = {
                'data-nav-key': r.key,
                role: 'treeitem',
                'aria-level': r.level,
                'aria-setsize': r.setSize,
                'aria-posinset': r.pos,
                tabIndex: item.index === active ? 0 : -1,
                style: { transform: `translateY(${item.start}px)`, height: ROW_HEIGHT },
                onFocus: () => {
                  if (r.key !== activeKey) setActiveKey(r.key);
                },
              } as const;
              if (r.kind === 'host') {
                const down = r.info !== undefined && r.info.state !== 'connected';
                return (
                  <div
                    key={item.key}
                    {...common}
                    aria-expanded={r.expanded}
                    className={`side-row side-host${down ? ' is-down' : ''}`}
                    onClick={() => {
                      setActiveKey(r.key);
                      if (!filtering) setHostOpen(r.host, !r.expanded);
                    }}
                  >
                    <ChevronRight size={14} aria-hidden className="side-chevron" />
                    <Server size={14} aria-hidden />
                    <span className="side-label">{r.host}</span>
                    {r.info && r.info.state !== 'connected' && <span className="side-host-state">{HOST_STATE_LABEL[r.info.state]}</span>}
                    <span className="side-badge muted">{filtering ? `${r.matching}/${r.total}` : r.total}</span>
                  </div>
                );
              }
              const current = r.key === openKey;
              return (
                <Link
                  key={item.key}
                  {...common}
                  href={vmHref(r.vm.host, r.vm.uuid)}
                  aria-current={current ? 'page' : undefined}
                  className={`side-row side-vm${current ? ' current' : ''}`}
                  title={r.vm.title ?? r.vm.name}
                  aria-label={`${r.vm.name}, ${stateLabel(r.vm.state)}`}
                  onClick={() => {
                    setActiveKey(r.key);
                    onOpen?.();
                  }}
                >
                  <StateIcon state={r.vm.state} />
                  <span className="side-label">{r.vm.name}</span>
                </Link>
              );
            })}
          </div>
        )}
      </div>
    </section>
  );
}

/** The sidebar's content, in the page or in the drawer. */
export function SidebarContent({ onNavigate }: { onNavigate?: (() => void) | undefined }) {
  return (
    <>
      <PageLinks />
      <ResourceTree onOpen={onNavigate} />
    </>
  );
}
