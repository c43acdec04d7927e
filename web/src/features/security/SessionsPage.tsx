// The Sessions page (/sessions): the user's browser sessions (an admin's:
// everyone's) with where and when they were used, and Revoke. Revoking the
// session in use logs out here; revoking another ends it at once on the
// server (that browser lands on its login page).

import { useQuery } from '@tanstack/react-query';
import { LogOut, RefreshCw } from 'lucide-react';
import { toast } from 'sonner';
import { ApiError } from '../../api/client';
import type { SessionInfo } from '../../api/types';
import { useConfirm } from '../../components/ConfirmProvider';
import { ErrorNote } from '../../components/ErrorNote';
import { IconButton } from '../../components/IconButton';
import { useRelativeNow } from '../../components/useNow';
import { useTitle } from '../../components/useTitle';
import { formatAgo, formatDateTime, formatIn, plural } from '../../lib/format';
import { toastError } from '../../components/toastError';
import { sessionsQuery, useRevokeSession } from '../../resources/session/queries';
import { RoleBadge } from './RoleBadge';
import { describeUserAgent, revokeQuestion, sortSessions } from './sessions';
import { useAccess } from './useAccess';
import { useLogout } from './useLogout';
import { addressSortValue, Button, DataTable, type DataColumn } from '../../ui';
import './pages.css';

/** A relative time that ticks on its own, as fast as its distance needs. */
function When({ time, future = false }: { time: string; future?: boolean }) {
  const now = useRelativeNow(time);
  return (
    <time dateTime={time} title={formatDateTime(time)}>
      {future ? formatIn(time, now) : formatAgo(time, now)}
    </time>
  );
}

export default function SessionsPage() {
  useTitle('Sessions');
  const { user, can } = useAccess();
  const all = can('sessions.manage');
  const confirm = useConfirm();
  const logout = useLogout();
  const q = useQuery(sessionsQuery);
  const revoke = useRevokeSession({
    onSuccess: (_, s) => {
      if (s.current) {
        void logout(false, 'This session was revoked: you are logged out');
        return;
      }
      toast.success(s.user === user ? 'Your other session was revoked' : `${s.user}’s session was revoked`);
    },
    onError: (err, s) => {
      if (err instanceof ApiError && err.status === 404) {
        toast.info('That session has ended already');
        return;
      }
      // Revoking one's own session can end it before the answer: a 401 then means done.
      if (s.current && err instanceof ApiError && err.status === 401) {
        void logout(false, 'This session was revoked: you are logged out');
        return;
      }
      toastError(err, 'The session was not revoked');
    },
  });

  const ask = async (s: SessionInfo) => {
    const question = revokeQuestion(s, user);
    const ok = await confirm({ ...question, danger: true });
    if (ok) revoke.mutate(s);
  };

  const list = q.data ? sortSessions(q.data) : [];
  const time = (t: string) => Date.parse(t);
  const columns: DataColumn<SessionInfo>[] = [
    {
      id: 'user',
      header: 'User',
      hideable: false,
      cell: (s) => (
        <>
          <span className="sec-user">{s.user}</span> <RoleBadge role={s.role} />
          {s.current && (
            <>
              {' '}
              <span className="badge this-session">this session</span>
            </>
          )}
        </>
      ),
      sortValue: (s) => s.user,
    },
    { id: 'client', header: 'Client', className: 'mono', cell: (s) => s.client, sortValue: (s) => addressSortValue(s.client) },
    { id: 'browser', header: 'Browser', cell: (s) => <span title={s.userAgent}>{describeUserAgent(s.userAgent)}</span>, sortValue: (s) => describeUserAgent(s.userAgent) },
    { id: 'created', header: 'Started', cell: (s) => <When time={s.created} />, sortValue: (s) => time(s.created) },
    { id: 'lastSeen', header: 'Last seen', cell: (s) => <When time={s.lastSeen} />, sortValue: (s) => time(s.lastSeen) },
    { id: 'expires', header: 'Expires', cell: (s) => <When time={s.expiresAt} future />, sortValue: (s) => time(s.expiresAt) },
    {
      id: 'actions',
      header: 'Actions',
      headerHidden: true,
      className: 'sec-actions',
      cell: (s) => (
        <Button
          size="sm"
          variant="danger-outline"
          disabled={revoke.isPending}
          onClick={() => void ask(s)}
          aria-label={s.current ? 'Revoke this session (log out)' : `Revoke ${s.user}’s session from ${s.client}`}
        >
          <LogOut size={14} aria-hidden />
          Revoke
        </Button>
      ),
    },
  ];

  return (
    <div className="page-scroll">
      <div className="page sec-page">
        <div className="sec-head">
          <div>
            <h1>Sessions</h1>
            <p className="muted">
              {all ? 'Every browser session of every user (you are an admin).' : 'Where you are logged in.'} Revoking a session logs that browser out
              at once and closes its consoles.
            </p>
          </div>
          <IconButton label="Reload the sessions" disabled={q.isFetching} onClick={() => void q.refetch()}>
            <RefreshCw size={16} aria-hidden className={q.isFetching ? 'spin' : undefined} />
          </IconButton>
        </div>

        {q.isPending ? (
          <p className="muted" role="status">
            Loading sessions…
          </p>
        ) : q.isError ? (
          <ErrorNote error={q.error} title="The sessions cannot be read" onRetry={() => void q.refetch()} />
        ) : (
          <section className="sec-panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title" className="sec-panel-title">
              {plural(list.length, all ? 'session' : 'session of yours', all ? 'sessions' : 'sessions of yours')}
            </h2>
            <DataTable
              name="sessions"
              label="Sessions"
              className="sec-table"
              wrapProps={{ role: 'region', 'aria-labelledby': 'sessions-title', tabIndex: 0 }}
              columns={columns}
              data={list}
              rowKey={(s) => s.id}
              rowProps={(s) => ({ className: s.current ? 'is-current' : undefined, 'data-session-user': s.user })}
            />
          </section>
        )}
      </div>
    </div>
  );
}
