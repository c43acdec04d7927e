// The navigation's own UI state: whether the sidebar is shown on wide
// screens (kept in the browser), whether the drawer is open on narrow ones,
// which hosts are closed in the tree, and the dashboard's last address (so
// that "Dashboard" and "All VMs" come back to the filters the user left).

import { useSyncExternalStore } from 'react';
import { createStore } from '../../lib/store';

const COLLAPSED_KEY = 'kvmm.nav.collapsed';

function readCollapsed(): boolean {
  try {
    return localStorage.getItem(COLLAPSED_KEY) === '1';
  } catch {
    return false;
  }
}

/** The sidebar is hidden on a wide screen (the user closed it). */
export const sidebarCollapsedStore = createStore<boolean>(readCollapsed());
sidebarCollapsedStore.subscribe(() => {
  try {
    localStorage.setItem(COLLAPSED_KEY, sidebarCollapsedStore.get() ? '1' : '0');
  } catch {
    // storage disabled: the choice lasts for this page only
  }
});

/** The navigation drawer is open (narrow screens). */
export const drawerOpenStore = createStore<boolean>(false);

/** Hosts closed in the tree. */
export const closedHostsStore = createStore<ReadonlySet<string>>(new Set());

export function setHostOpen(host: string, open: boolean): void {
  closedHostsStore.set((s) => {
    if (open !== s.has(host)) return s;
    const next = new Set(s);
    if (open) next.delete(host);
    else next.add(host);
    return next;
  });
}

/** The tree's filter text (kept while the drawer closes and opens). */
export const navFilterStore = createStore<string>('');

/** The dashboard's address as the user left it (path and search). */
export const dashboardReturnStore = createStore<string>('/');

/** Below this width the sidebar is a drawer behind the header's Menu button. */
export const NARROW_QUERY = '(max-width: 899px)';

function subscribeMedia(query: string) {
  return (onChange: () => void) => {
    if (typeof window.matchMedia !== 'function') return () => undefined;
    const m = window.matchMedia(query);
    m.addEventListener('change', onChange);
    return () => m.removeEventListener('change', onChange);
  };
}

const subscribers = new Map<string, (onChange: () => void) => () => void>();

/** Whether a media query matches, following changes. */
export function useMediaQuery(query: string): boolean {
  let sub = subscribers.get(query);
  if (!sub) {
    sub = subscribeMedia(query);
    subscribers.set(query, sub);
  }
  return useSyncExternalStore(
    sub,
    () => typeof window.matchMedia === 'function' && window.matchMedia(query).matches,
    () => false,
  );
}
