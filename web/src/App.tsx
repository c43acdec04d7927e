// The app: providers, the login route, and the signed-in shell (header,
// connection banner, pages, status bar). Details and settings are split
// into their own chunks so that the first page stays small.

import { QueryClientProvider, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { Tooltip } from 'radix-ui';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { toast, Toaster } from 'sonner';
import { Redirect, Route, Switch, useLocation, useSearch } from 'wouter';
import { setForbiddenHandler, setUnauthorizedHandler, type ApiError } from './api/client';
import { createEventStream } from './resources/events';
import { rereadSession, setSession, useSession } from './resources/session/queries';
import { statsStore } from './api/stats';
import type { Session } from './api/types';
import { ConfirmProvider } from './components/ConfirmProvider';
import { ErrorBoundary } from './components/ErrorBoundary';
import { ErrorNote } from './components/ErrorNote';
import Dashboard from './features/dashboard/Dashboard';
import { Header } from './features/layout/Header';
import { drawerOpenStore, NARROW_QUERY, sidebarCollapsedStore, useMediaQuery } from './features/layout/navState';
import { SidebarContent } from './features/layout/Sidebar';
import { startOperationToasts } from './features/operations/operations';
import { RoleNote } from './features/security/RoleNote';
import { useAccess } from './features/security/useAccess';
import { loadSettingsFor, settingsStore } from './features/settings/settings';
import { CommandsProvider, useCommandScope } from './features/commands/CommandsProvider';
import { ShortcutOverlay } from './features/commands/ShortcutOverlay';
import { ConnectionBanner } from './features/status/ConnectionBanner';
import { StatusBar } from './features/status/StatusBar';
import { sentence } from './lib/format';
import { PATHS, parseVMTab } from './lib/routes';
import { useStore } from './lib/store';
import { Dialog, DialogTitle } from './ui';

const VMDetailsPage = lazy(() => import('./features/details/VMDetailsPage'));
const SettingsPage = lazy(() => import('./features/settings/SettingsPage'));
const ConsoleWindow = lazy(() => import('./features/console/ConsoleWindow'));
const SerialWindow = lazy(() => import('./features/serial/SerialWindow'));
const SessionsPage = lazy(() => import('./features/security/SessionsPage'));
const HostsPage = lazy(() => import('./features/hosts/HostsPage'));
const AuditPage = lazy(() => import('./features/security/AuditPage'));
const NetworksPage = lazy(() => import('./features/networks/NetworksPage'));
const StoragePage = lazy(() => import('./features/storage/StoragePage').then((m) => ({ default: m.StoragePage })));
// The login form (react-hook-form and zod) is not part of a signed-in first screen.
const LoginPage = lazy(() => import('./features/login/LoginPage'));
const NewVMPage = lazy(() => import('./features/create/NewVMPage'));
const SchedulesPage = lazy(() => import('./features/schedules/SchedulesPage'));
const RecordingsPage = lazy(() => import('./features/recordings/RecordingsPage'));

function PageFallback() {
  return (
    <div className="page-scroll">
      <div className="page muted" role="status">
        Loading…
      </div>
    </div>
  );
}

function NotFound() {
  return (
    <div className="page-scroll">
      <div className="page">
        <h1>Page not found</h1>
        <p>
          <a href="/">Back to the dashboard</a>
        </p>
      </div>
    </div>
  );
}

/** Why the user was sent to the login page, for its message (?error=): the session ended under them (revoked, expired, or ended by the cap on sessions per user). */
let sessionEnded: string | null = null;

/** Starts the event stream for a signed-in session, and handles its end. */
function useLive(session: Session, qc: QueryClient) {
  useEffect(() => {
    sessionEnded = null;
    loadSettingsFor(session.user);
    const stopToasts = startOperationToasts();
    const ended = (err?: ApiError) => {
      sessionEnded = err?.code === 'session_limit' ? 'session_limit' : 'expired';
      setSession(qc, null);
    };
    setUnauthorizedHandler(ended);
    // Refused for the role: say so with the server's words, and read the
    // session again (the user's role may have changed on the server).
    setForbiddenHandler((err) => {
      toast.error(sentence(err.message), { id: 'forbidden-role', description: err.hint ? sentence(err.hint) : undefined });
      rereadSession(qc);
    });
    const stream = createEventStream({ qc, stats: statsStore, onUnauthorized: ended });
    stream.start();
    return () => {
      stream.stop();
      stopToasts();
      setUnauthorizedHandler(null);
      setForbiddenHandler(null);
    };
  }, [session.user, qc]);
}

/** A console window's page, or why this role gets none. */
function PopoutGate({ children }: { children: ReactNode }) {
  const { can } = useAccess();
  if (!can('vm.console')) return <RoleNote permission="vm.console" title="Consoles are not available to you" />;
  return children;
}

function Shell({ session }: { session: Session }) {
  const qc = useQueryClient();
  const [location, navigate] = useLocation();
  useLive(session, qc);
  useCommandScope('app', { navigate });
  if (location.startsWith('/popout/')) {
    // A console in a window of its own: no header or status bar, all the
    // room for the screen.
    return (
      <div className="app popout">
        <main id="main" className="main" tabIndex={-1}>
          <ErrorBoundary key={location}>
            <Suspense fallback={<PageFallback />}>
              <Switch>
                <Route path={PATHS.consolePopout}>
                  {(p) => (
                    <PopoutGate>
                      <ConsoleWindow host={p.host} uuid={p.uuid} />
                    </PopoutGate>
                  )}
                </Route>
                <Route path={PATHS.serialPopout}>
                  {(p) => (
                    <PopoutGate>
                      <SerialWindow host={p.host} uuid={p.uuid} />
                    </PopoutGate>
                  )}
                </Route>
                <Route>
                  <NotFound />
                </Route>
              </Switch>
            </Suspense>
          </ErrorBoundary>
        </main>
        <ShortcutOverlay />
      </div>
    );
  }
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <ConnectionBanner />
      <div className="app-body">
        <Navigation />
        <main id="main" className="main" tabIndex={-1}>
          {/* A new boundary per page (a VM's tabs are one page), so an error does not stick across pages. */}
          <ErrorBoundary key={location.replace(/^(\/vms\/[^/]+\/[^/]+)\/.*$/, '$1')}>
            <Suspense fallback={<PageFallback />}>
              <Pages />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
      <StatusBar />
      <ShortcutOverlay />
    </div>
  );
}

/** The route table's pages (lib/routes.ts holds the paths and their builders). */
function Pages() {
  return (
    <Switch>
      <Route path={PATHS.dashboard}>
        <Dashboard />
      </Route>
      <Route path={PATHS.settings}>
        <SettingsPage />
      </Route>
      <Route path={PATHS.sessions}>
        <SessionsPage />
      </Route>
      <Route path={PATHS.audit}>
        <AuditPage />
      </Route>
      <Route path={PATHS.hosts}>
        <HostsPage />
      </Route>
      <Route path={PATHS.storage}>
        <StoragePage />
      </Route>
      <Route path={PATHS.networks}>
        <NetworksPage />
      </Route>
      <Route path={PATHS.newVM}>
        <NewVMPage />
      </Route>
      <Route path={PATHS.recording}>
        <RecordingsPage />
      </Route>
      <Route path={PATHS.recordings}>
        <RecordingsPage />
      </Route>
      <Route path={PATHS.schedules}>
        <SchedulesPage />
      </Route>
      <Route path={PATHS.vm}>{(p) => <VMDetailsPage host={p.host} uuid={p.uuid} tab={parseVMTab(p.tab)} />}</Route>
      <Route>
        <NotFound />
      </Route>
    </Switch>
  );
}

/** The sidebar beside the page on a wide screen (unless hidden), a drawer on a narrow one. */
function Navigation() {
  const narrow = useMediaQuery(NARROW_QUERY);
  const collapsed = useStore(sidebarCollapsedStore);
  const drawer = useStore(drawerOpenStore);
  const [location] = useLocation();
  // Going somewhere closes the drawer.
  useEffect(() => drawerOpenStore.set(false), [location]);
  // The drawer belongs to narrow screens only.
  useEffect(() => {
    if (!narrow) drawerOpenStore.set(false);
  }, [narrow]);
  if (!narrow) {
    if (collapsed) return null;
    return (
      <div id="sidebar" className="sidebar">
        <SidebarContent />
      </div>
    );
  }
  return (
    <Dialog open={drawer} onOpenChange={(o) => drawerOpenStore.set(o)} bare className="sidebar sidebar-drawer" noDescription>
      <DialogTitle className="sr-only">Navigation</DialogTitle>
      <SidebarContent onNavigate={() => drawerOpenStore.set(false)} />
    </Dialog>
  );
}

function Splash({ children }: { children: ReactNode }) {
  return <div className="splash">{children}</div>;
}

function AuthGate() {
  const session = useSession();
  const [location] = useLocation();
  const search = useSearch();
  if (session.isPending) {
    return (
      <Splash>
        <span className="muted" role="status">
          Loading KVM Manager…
        </span>
      </Splash>
    );
  }
  if (session.data) return <Shell session={session.data} />;
  if (session.isError) {
    return (
      <Splash>
        <ErrorNote error={session.error} title="KVM Manager cannot start" />
      </Splash>
    );
  }
  const here = location + (search ? `?${search}` : '');
  const params = new URLSearchParams();
  if (here !== '/') params.set('next', here);
  if (sessionEnded) params.set('error', sessionEnded);
  const q = params.toString();
  return <Redirect to={`/login${q ? `?${q}` : ''}`} replace />;
}

function ThemedToaster() {
  const theme = useStore(settingsStore, (s) => s.theme);
  return <Toaster theme={theme} position="bottom-right" offset={{ bottom: 44, right: 16 }} closeButton richColors={false} visibleToasts={5} />;
}

export function App({ queryClient }: { queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <Tooltip.Provider delayDuration={350} skipDelayDuration={200}>
        <ConfirmProvider>
          <CommandsProvider>
            <Switch>
              <Route path="/login">
                <Suspense fallback={null}>
                  <LoginPage />
                </Suspense>
              </Route>
              <Route>
                <AuthGate />
              </Route>
            </Switch>
            <ThemedToaster />
          </CommandsProvider>
        </ConfirmProvider>
      </Tooltip.Provider>
    </QueryClientProvider>
  );
}
