// The login page: paste the access token, or open the login URL that
// KVM Manager printed when it started (the server logs the browser in and
// comes back here with ?error=invalid_token when the token was wrong).

import { useQueryClient } from '@tanstack/react-query';
import { KeyRound, LoaderCircle } from 'lucide-react';
import { useState, type SyntheticEvent } from 'react';
import { Redirect, useLocation, useSearch } from 'wouter';
import { api, ApiError, setCsrfToken } from '../../api/client';
import { qk } from '../../api/cache';
import { useSession } from '../../api/queries';
import type { Session } from '../../api/types';
import { useTitle } from '../../components/useTitle';
import { loadSettingsFor } from '../settings/settings';
import './login.css';

/** Only same-site paths may follow a login (no open redirects). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) return '/';
  return next;
}

const LINK_ERRORS: Record<string, string> = {
  invalid_token: 'The token in that login link is not valid. It may be from an earlier start of KVM Manager: paste the current token, or open the link it printed last.',
  expired: 'Your session has ended. Log in again.',
};

export default function LoginPage() {
  const params = new URLSearchParams(useSearch());
  const next = safeNext(params.get('next'));
  const linkError = params.get('error');
  const session = useSession();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [token, setToken] = useState('');
  const [error, setError] = useState<{ message: string; hint?: string | undefined } | null>(
    linkError ? { message: LINK_ERRORS[linkError] ?? 'The login did not succeed. Paste the access token.' } : null,
  );
  const [busy, setBusy] = useState(false);
  useTitle('Log in');

  if (session.data) return <Redirect to={next} replace />;

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError({ message: 'Paste the access token first.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const s = await api<Session>('/api/v1/login', { method: 'POST', body: { token: t }, quiet401: true });
      setCsrfToken(s.csrfToken);
      loadSettingsFor(s.user);
      qc.setQueryData(qk.session, s);
      navigate(next, { replace: true });
    } catch (err) {
      if (err instanceof ApiError) setError({ message: err.message, hint: err.hint });
      else setError({ message: 'Logging in failed.' });
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)} noValidate>
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={36} height={36} />
          <h1>KVM Manager</h1>
        </div>
        <p className="muted">
          Paste the access token, or open the login URL that KVM Manager printed when it started (it contains the token).
        </p>
        <label htmlFor="token" className="field-label">
          Access token
        </label>
        <div className="input-with-icon">
          <KeyRound size={16} aria-hidden />
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="current-password"
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'login-error' : undefined}
          />
        </div>
        {error && (
          <div id="login-error" className="login-error" role="alert">
            <p>{error.message}</p>
            {error.hint && <p className="muted">{error.hint}</p>}
          </div>
        )}
        {session.isError && (
          <p className="login-error" role="status">
            The server cannot be reached; logging in will work once it is back.
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy && <LoaderCircle size={16} className="spin" aria-hidden />}
          Log in
        </button>
        <p className="login-foot muted">
          Without <code>KVM_MANAGER_TOKEN</code> set, a new token is made at every start of the server.
        </p>
      </form>
    </main>
  );
}
