// The signed-in session (who, which role, the CSRF token) and the list of
// sessions (one's own, or all for admins), with logging in, out and
// revoking.

import { queryOptions, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken } from '../../api/client';
import type { Session, SessionInfo } from '../../api/types';
import { qk } from '../keys';
import type { MutationCallbacks } from '../mutation';

/** The current session, or null when logged out. Unreachable servers are retried until they answer. */
export async function fetchSession(): Promise<Session | null> {
  try {
    const s = await api<Session>('/api/v1/session', { quiet401: true });
    setCsrfToken(s.csrfToken);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw err;
  }
}

const sessionQuery = queryOptions({
  queryKey: qk.session,
  queryFn: fetchSession,
  retry: (_, err) => err instanceof ApiError && err.unreachable,
  retryDelay: 2000,
  refetchInterval: (q) => (q.state.status === 'error' ? 3000 : false),
});

/** The app's session check: reads the session, and keeps trying while the server cannot be reached. */
export function useSession() {
  return useQuery(sessionQuery);
}

/** The session the app's check already holds; never fetches by itself. */
export function useCachedSession(): Session | null | undefined {
  return useQuery({ queryKey: qk.session, queryFn: fetchSession, enabled: false }).data;
}

/** Sets the session the app holds (after a login), or null when it ended. */
export function setSession(qc: QueryClient, s: Session | null): void {
  qc.setQueryData(qk.session, s);
}

/** Reads the session again (the user's role may have changed on the server). */
export function rereadSession(qc: QueryClient): void {
  void qc.invalidateQueries({ queryKey: qk.session });
}

/** Logs in with a user name and password, or the API token; the session goes into the cache. */
export async function logIn(body: { username: string; password: string } | { token: string }): Promise<Session> {
  const s = await api<Session>('/api/v1/login', { method: 'POST', body, quiet401: true });
  setCsrfToken(s.csrfToken);
  return s;
}

/** Ends the session on the server. Never fails: logged out already, or the server is away, the session is forgotten here anyway. */
export async function logOut(): Promise<void> {
  try {
    await api('/api/v1/logout', { method: 'POST', quiet401: true });
  } catch {
    // See above.
  }
}

/** Forgets the session and everything cached for it. */
export function forgetSession(qc: QueryClient): void {
  setCsrfToken(null);
  qc.clear();
  setSession(qc, null);
}

export const sessionsQuery = queryOptions({
  queryKey: qk.sessions,
  queryFn: async ({ signal }) => (await api<{ sessions: SessionInfo[] | null }>('/api/v1/sessions', { signal })).sessions ?? [],
  staleTime: 0,
  refetchInterval: 30_000,
});

/**
 * Revokes a session; the list is read again after it (and after a 404:
 * the session had ended already).
 */
export function useRevokeSession(cb: MutationCallbacks<unknown, SessionInfo> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (s: SessionInfo) => api(`/api/v1/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' }),
    onSuccess(res, s) {
      if (!s.current) void qc.invalidateQueries({ queryKey: qk.sessions });
      cb.onSuccess?.(res, s);
    },
    onError(err, s) {
      if (err instanceof ApiError && err.status === 404) void qc.invalidateQueries({ queryKey: qk.sessions });
      cb.onError?.(err, s);
    },
  });
}
