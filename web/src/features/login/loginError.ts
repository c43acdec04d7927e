// What the login page says when a login did not succeed, and how long a
// client that tried too often must wait (429 too_many_attempts).

import { ApiError } from '../../api/client';
import { sentence } from '../../lib/format';

export interface LoginProblem {
  message: string;
  hint?: string | undefined;
  /** When logging in may be tried again (ms since the epoch), after too many attempts. */
  retryAt?: number | undefined;
  /** When the wait was set (ms since the epoch): the count starts there. */
  since?: number | undefined;
  /** The problem is in what was typed (marks the fields invalid). */
  badInput?: boolean;
}

/** Why the app sent the browser to the login page (?error=…), in words. */
export const LINK_ERRORS: Readonly<Record<string, string>> = {
  invalid_token:
    'The token in that login link is not valid. It may be from an earlier start of KVM Manager: paste the current token, or open the link it printed last.',
  expired: 'Your session ended: it expired, you logged out in another tab, or an admin ended it. Log in again.',
  session_limit:
    'Your session was ended because your user started more sessions than allowed (the oldest end first). Log in again, and log out of browsers you no longer use.',
  too_many_attempts: 'Too many failed logins from your address. Wait a few minutes, then try again.',
};

/** The ?error= codes that are about the API token (the login link): the page shows the token field for them. */
export const TOKEN_LINK_ERRORS: ReadonlySet<string> = new Set(['invalid_token', 'invalid_credentials', 'too_many_attempts']);

/** The problem to show for a failed login request. */
export function loginProblem(err: unknown, now: number = Date.now()): LoginProblem {
  if (!(err instanceof ApiError)) return { message: 'Logging in failed.', hint: err instanceof Error ? err.message : undefined };
  if (err.status === 429) {
    const wait = err.retryAfter;
    return {
      message: sentence(err.message || 'Too many failed logins from your address'),
      hint: err.hint ? sentence(err.hint) : undefined,
      retryAt: wait !== undefined ? now + wait * 1000 : undefined,
      since: now,
    };
  }
  return { message: sentence(err.message), hint: err.hint ? sentence(err.hint) : undefined, badInput: err.status === 400 || err.status === 401 };
}

/** "42 s", "2 min 5 s": the rest of a wait, rounded up to whole seconds. */
export function formatWait(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

export type LoginMethod = 'password' | 'token';

const METHOD_KEY = 'kvmm.loginMethod';

/** The method this browser logged in with last (the token for single-admin setups without users). */
export function lastMethod(): LoginMethod {
  try {
    return localStorage.getItem(METHOD_KEY) === 'token' ? 'token' : 'password';
  } catch {
    return 'password';
  }
}

export function rememberMethod(m: LoginMethod): void {
  try {
    localStorage.setItem(METHOD_KEY, m);
  } catch {
    // storage disabled: the form starts with username and password
  }
}
