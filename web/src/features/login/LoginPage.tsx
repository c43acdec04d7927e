// The login page: username and password (the users of the server's config
// file), or the API token instead (KVM_MANAGER_TOKEN, an admin credential).
// The login URL that KVM Manager prints at start still works: the server
// logs the browser in and comes back here with ?error=invalid_token when
// the token was wrong. Too many failed logins from one client are refused
// for a while (429): the page says until when, and waits. The form is
// react-hook-form over the zod schema in schema.ts.

import { zodResolver } from '@hookform/resolvers/zod';
import { useQueryClient } from '@tanstack/react-query';
import { KeyRound, LoaderCircle, Lock, User } from 'lucide-react';
import { useEffect, useState } from 'react';
import { useForm, type FieldErrors } from 'react-hook-form';
import { Redirect, useLocation, useSearch } from 'wouter';
import { logIn, setSession, useSession } from '../../resources/session/queries';
import { useTitle } from '../../components/useTitle';
import { loadSettingsFor } from '../settings/settings';
import { formatWait, lastMethod, LINK_ERRORS, loginProblem, rememberMethod, TOKEN_LINK_ERRORS, type LoginMethod, type LoginProblem } from './loginError';
import { Button } from '../../ui';
import { loginBody, loginSchema, type LoginValues } from './schema';
import './login.css';

/**
 * Only same-site paths may follow a login (no open redirects): printable
 * ASCII only (browsers drop tabs and newlines, so "/\t/evil.example" would
 * become "//evil.example"), no backslashes, no second leading slash.
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || !/^[\x21-\x7e]*$/.test(next) || next.startsWith('/login')) return '/';
  return next;
}

/** Counts down to retryAt once a second; 0 once it has passed. */
function useRemaining(retryAt: number | undefined, since = 0): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (retryAt === undefined) return;
    let t: number | undefined;
    const tick = () => {
      const n = Date.now();
      setNow(n);
      // The next whole second of the wait.
      if (n < retryAt) t = window.setTimeout(tick, ((retryAt - n) % 1000) + 5);
    };
    t = window.setTimeout(tick, 0);
    return () => window.clearTimeout(t);
  }, [retryAt]);
  // A new wait counts from when it was set, not from the last tick (whose
  // `now` may be older: the first render would read a second too many).
  return retryAt === undefined ? 0 : Math.max(0, retryAt - Math.max(now, since));
}

export default function LoginPage() {
  const params = new URLSearchParams(useSearch());
  const next = safeNext(params.get('next'));
  const linkError = params.get('error');
  const session = useSession();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  // A wrong login link is about the token: show the token field.
  const [method, setMethod] = useState<LoginMethod>(() => (linkError !== null && TOKEN_LINK_ERRORS.has(linkError) ? 'token' : lastMethod()));
  const { register, handleSubmit, setValue, setFocus } = useForm<LoginValues>({
    resolver: zodResolver(loginSchema),
    defaultValues: { method, username: '', password: '', token: '' },
  });
  const [problem, setProblem] = useState<LoginProblem | null>(
    linkError ? { message: LINK_ERRORS[linkError] ?? 'The login did not succeed. Log in again.' } : null,
  );
  const [busy, setBusy] = useState(false);
  const remaining = useRemaining(problem?.retryAt, problem?.since);
  const waiting = remaining > 0;
  useTitle('Log in');

  if (session.data) return <Redirect to={next} replace />;

  const switchTo = (m: LoginMethod) => {
    setMethod(m);
    setValue('method', m);
    setProblem(null);
    // After the switch has rendered the other field.
    requestAnimationFrame(() => setFocus(m === 'token' ? 'token' : 'username'));
  };

  const send = async (v: LoginValues) => {
    if (busy || waiting) return;
    setBusy(true);
    setProblem(null);
    try {
      const s = await logIn(loginBody(v));
      loadSettingsFor(s.user);
      rememberMethod(v.method);
      setSession(qc, s);
      navigate(next, { replace: true });
    } catch (err) {
      setProblem(loginProblem(err));
      setBusy(false);
      if (v.method === 'password') {
        setValue('password', '');
        setFocus('password');
      } else setFocus('token', { shouldSelect: true });
    }
  };
  // The schema's message in the one alert (react-hook-form has focused the first field missing).
  const missing = (errors: FieldErrors<LoginValues>) => {
    const message = errors.username?.message ?? errors.password?.message ?? errors.token?.message;
    if (message && !busy && !waiting) setProblem({ message, badInput: true });
  };
  const submit = handleSubmit(send, missing);

  const describedBy = problem ? 'login-error' : undefined;
  const invalid = problem?.badInput === true ? true : undefined;

  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="login-title">
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={36} height={36} />
          <h1 id="login-title">KVM Manager</h1>
        </div>
        {method === 'password' ? (
          <>
            <p className="muted">Log in with your KVM Manager user.</p>
            <label htmlFor="username" className="field-label">
              Username
            </label>
            <div className="input-with-icon">
              <User size={16} aria-hidden />
              <input
                id="username"
                {...register('username')}
                type="text"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                autoFocus
                aria-invalid={invalid}
                aria-describedby={describedBy}
              />
            </div>
            <label htmlFor="password" className="field-label">
              Password
            </label>
            <div className="input-with-icon">
              <Lock size={16} aria-hidden />
              <input
                id="password"
                {...register('password')}
                type="password"
                autoComplete="current-password"
                aria-invalid={invalid}
                aria-describedby={describedBy}
              />
            </div>
          </>
        ) : (
          <>
            <p className="muted">
              Paste the API token (<code>KVM_MANAGER_TOKEN</code>), or open the login URL that KVM Manager printed when it started. The token has the
              <strong>admin</strong> role.
            </p>
            <label htmlFor="token" className="field-label">
              Access token
            </label>
            <div className="input-with-icon">
              <KeyRound size={16} aria-hidden />
              <input
                id="token"
                {...register('token')}
                type="password"
                autoComplete="off"
                spellCheck={false}
                autoFocus
                aria-invalid={invalid}
                aria-describedby={describedBy}
              />
            </div>
          </>
        )}
        {problem && (
          <div id="login-error" className="login-error" role="alert">
            <p>{problem.message}</p>
            {problem.hint && <p className="muted">{problem.hint}</p>}
          </div>
        )}
        {waiting && (
          <p className="muted small login-wait" data-testid="login-wait">
            Logging in is possible again in {formatWait(remaining)}.
          </p>
        )}
        {session.isError && (
          <p className="login-error" role="status">
            The server cannot be reached; logging in will work once it is back.
          </p>
        )}
        <Button type="submit" variant="primary" block disabled={busy || waiting}>
          {busy && <LoaderCircle size={16} className="spin" aria-hidden />}
          Log in
        </Button>
        <div className="login-switch">
          {method === 'password' ? (
            <Button variant="link" onClick={() => switchTo('token')}>
              <KeyRound size={14} aria-hidden /> Use an API token
            </Button>
          ) : (
            <Button variant="link" onClick={() => switchTo('password')}>
              <User size={14} aria-hidden /> Use username and password
            </Button>
          )}
        </div>
        {method === 'token' && (
          <p className="login-foot muted">
            Without <code>KVM_MANAGER_TOKEN</code> set, a new token is made at every start of the server.
          </p>
        )}
      </form>
    </main>
  );
}
