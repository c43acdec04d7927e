// The audit log (/audit, admins): who did what to which VM, from where, and
// how it ended, newest first. Filters live in the address (shareable), older
// entries load on demand (the `before` cursor), and the list is read again
// when an operation ends or on Refresh. A banner says when the server cannot
// write the log.

import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { CircleCheck, CircleX, RefreshCw, ShieldX, TriangleAlert, X } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { auditQuery as auditLogQuery, refetchAudit, useAuditFollowsOperations } from '../../resources/audit/queries';
import type { AuditEntry } from '../../api/types';
import { ErrorNote } from '../../components/ErrorNote';
import { IconButton } from '../../components/IconButton';
import { useTitle } from '../../components/useTitle';
import { vmHref } from '../../resources/vm/model';
import {
  actionLabel,
  AUDIT_ACTIONS,
  auditDuration,
  auditQuery,
  auditTime,
  currentWriteError,
  entryMessage,
  filtersFromSearch,
  filtersToSearch,
  hasFilters,
  mergePages,
  nextCursor,
  NO_FILTERS,
  resultOf,
  sameFilters,
  type AuditFilters,
} from './audit';
import { RoleBadge } from './RoleBadge';
import { RoleNote } from './RoleNote';
import { useAccess } from './useAccess';
import { addressSortValue, Button, DataTable, InfoTip, type DataColumn } from '../../ui';
import './pages.css';

const RESULT_ICONS = { ok: CircleCheck, error: CircleX, denied: ShieldX } as const;

function Result({ e }: { e: AuditEntry }) {
  const r = resultOf(e);
  const Icon = RESULT_ICONS[r.tone];
  // The HTTP status is for whoever debugs the API: a tooltip, not the text.
  return (
    <span className={`audit-result audit-result-${r.tone}`} title={e.status ? `HTTP status ${e.status}` : undefined}>
      <Icon size={12} aria-hidden />
      {r.text}
    </span>
  );
}

/** The audit log's columns; the rows come newest first, which the default sort by time keeps. */
const AUDIT_COLUMNS: DataColumn<AuditEntry>[] = [
  {
    id: 'time',
    header: 'Time',
    className: 'audit-time',
    cell: (e) => <time dateTime={e.time}>{auditTime(e.time)}</time>,
    sortValue: (e) => Date.parse(e.time),
  },
  { id: 'user', header: 'User', cell: (e) => e.user || <span className="muted">—</span>, sortValue: (e) => e.user },
  { id: 'role', header: 'Role', cell: (e) => (e.role ? <RoleBadge role={e.role} /> : <span className="muted">—</span>), sortValue: (e) => e.role },
  { id: 'client', header: 'Client', className: 'mono', cell: (e) => e.client, sortValue: (e) => addressSortValue(e.client) },
  {
    id: 'action',
    header: 'Action',
    cell: (e) => (
      <>
        {actionLabel(e.action)}
        <span className="audit-action-code">{e.action}</span>
      </>
    ),
    sortValue: (e) => actionLabel(e.action),
  },
  {
    id: 'vm',
    header: 'VM',
    cell: (e) =>
      e.host && e.uuid ? (
        <Link href={vmHref(e.host, e.uuid)} title={`${e.uuid} on ${e.host}`}>
          {e.vm ?? e.uuid}
        </Link>
      ) : (
        (e.vm ?? <span className="muted">—</span>)
      ),
    sortValue: (e) => e.vm ?? e.uuid,
  },
  { id: 'result', header: 'Result', cell: (e) => <Result e={e} />, sortValue: (e) => e.result },
  { id: 'duration', header: 'Duration', className: 'num', cell: (e) => auditDuration(e.durationMs), sortValue: (e) => e.durationMs },
  {
    id: 'details',
    header: 'Details',
    className: 'audit-message',
    cell: (e) => (
      <>
        {entryMessage(e)}
        {e.operation && <span className="audit-action-code">operation {e.operation.slice(0, 8)}</span>}
      </>
    ),
    sortValue: (e) => entryMessage(e),
  },
];

/** The filter form: text fields apply after a pause in typing, the action at once. */
function Filters({ value, onChange }: { value: AuditFilters; onChange: (f: AuditFilters) => void }) {
  const [draft, setDraft] = useState(value);
  // Follow the address (back/forward, Clear).
  const [seen, setSeen] = useState(value);
  if (!sameFilters(seen, value)) {
    setSeen(value);
    setDraft(value);
  }
  useEffect(() => {
    if (sameFilters(draft, value)) return;
    const t = setTimeout(() => onChange(draft), 400);
    return () => clearTimeout(t);
  }, [draft, value, onChange]);
  return (
    <form
      className="audit-filters"
      role="search"
      aria-label="Filter the audit log"
      onSubmit={(e) => {
        e.preventDefault();
        onChange(draft);
      }}
    >
      <div className="audit-filter">
        <label htmlFor="audit-user">User</label>
        <input id="audit-user" type="search" value={draft.user} onChange={(e) => setDraft({ ...draft, user: e.target.value })} autoComplete="off" spellCheck={false} />
      </div>
      <div className="audit-filter">
        <label htmlFor="audit-vm">VM</label>
        <input id="audit-vm" type="search" value={draft.vm} onChange={(e) => setDraft({ ...draft, vm: e.target.value })} autoComplete="off" spellCheck={false} />
      </div>
      <div className="audit-filter">
        <label htmlFor="audit-action">Action</label>
        <select
          id="audit-action"
          value={draft.action}
          onChange={(e) => {
            const next = { ...draft, action: e.target.value };
            setDraft(next);
            onChange(next);
          }}
        >
          <option value="">All actions</option>
          {AUDIT_ACTIONS.map((g) => (
            <optgroup key={g.label} label={g.label}>
              {g.actions.map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label} ({a.value.includes('.') || g.label !== 'Kinds' ? a.value : `${a.value}.*`})
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      {/* Enter in a field applies at once; the button is for pointer users and screen readers. */}
      <Button type="submit" >
        Apply
      </Button>
      {hasFilters(value) && (
        <Button variant="ghost" onClick={() => onChange(NO_FILTERS)}>
          <X size={14} aria-hidden /> Clear filters
        </Button>
      )}
    </form>
  );
}

function AuditLog() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const filters = filtersFromSearch(search);
  const setFilters = useCallback(
    (f: AuditFilters) => {
      const q = filtersToSearch(f);
      navigate(`/audit${q ? `?${q}` : ''}`, { replace: true });
    },
    [navigate],
  );
  const q = useInfiniteQuery(auditLogQuery(filters, (cursor) => auditQuery(filters, cursor), nextCursor));

  // An operation that ends writes its entry: read the log again (once for a burst).
  useAuditFollowsOperations();

  const pages = q.data?.pages ?? [];
  const entries = mergePages(pages);
  const writeError = currentWriteError(pages);
  const file = pages[0]?.file;
  const filtered = hasFilters(filters);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = q;

  // Older entries load as the end of the list scrolls into view (the
  // button below does the same for keyboards and screen readers).
  const [sentinel, setSentinel] = useState<HTMLDivElement | null>(null);
  useEffect(() => {
    if (!sentinel || !hasNextPage || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver(
      (seen) => {
        if (seen.some((s) => s.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { rootMargin: '400px 0px' },
    );
    io.observe(sentinel);
    return () => io.disconnect();
  }, [sentinel, hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <>
      {writeError && (
        <div className="banner banner-bad audit-banner" role="alert">
          <TriangleAlert size={18} aria-hidden />
          <div>
            <strong>The server cannot write the audit log.</strong> {writeError.replace(/[.\s]+$/, '')}. Actions taken now may be missing from it until this is fixed on the
            server (see its log; check the disk and the permissions of the data directory).
          </div>
        </div>
      )}
      <Filters value={filters} onChange={setFilters} />
      {q.isPending ? (
        <p className="muted" role="status">
          Reading the audit log…
        </p>
      ) : q.isError && entries.length === 0 ? (
        <ErrorNote error={q.error} title="The audit log cannot be read" onRetry={() => void q.refetch()} />
      ) : (
        <section className="sec-panel" aria-labelledby="audit-title">
          <div className="sec-head">
            <h2 id="audit-title" className="sec-panel-title">
              {entries.length === 0 ? 'No entries' : `${filtered ? 'Matching entries' : 'Entries'}, newest first`}
            </h2>
            <span className="muted small audit-count" role="status">
              {q.isFetching && !q.isFetchingNextPage ? 'Refreshing…' : ''}
            </span>
          </div>
          {q.isError && <ErrorNote error={q.error} title="The audit log could not be read again" />}
          {entries.length === 0 ? (
            <p className="muted">{filtered ? 'No entries match these filters.' : 'Nothing has been recorded yet.'}</p>
          ) : (
            <DataTable
              name="audit"
              label="Audit log entries"
              className="audit-table"
              wrapProps={{ role: 'region', 'aria-label': 'Audit log entries', tabIndex: 0 }}
              columns={AUDIT_COLUMNS}
              data={entries}
              // Pages only grow at the end (or are read again whole): the position is the identity.
              rowKey={(_, i) => String(i)}
              defaultSort={{ id: 'time', desc: true }}
              rowProps={(e) => ({ 'data-action': e.action, 'data-result': e.result })}
            />
          )}
          {file && (
            <p className="muted small">
              Kept on the server in <span className="mono">{file}</span> (JSON lines; rotated to <span className="mono">{file}.1</span> at 16 MiB).
            </p>
          )}
          {entries.length > 0 && (
            <div className="audit-more" ref={setSentinel}>
              {hasNextPage ? (
                <Button disabled={isFetchingNextPage} onClick={() => void fetchNextPage()}>
                  {isFetchingNextPage ? 'Loading older entries…' : 'Load older entries'}
                </Button>
              ) : (
                <p className="muted small">{filtered ? 'No older matching entries.' : 'The start of the log: no older entries.'}</p>
              )}
            </div>
          )}
        </section>
      )}
    </>
  );
}

export default function AuditPage() {
  useTitle('Audit log');
  const { can } = useAccess();
  const qc = useQueryClient();
  const [refreshing, setRefreshing] = useState(false);
  if (!can('audit.read')) {
    return (
      <div className="page-scroll">
        <div className="page">
          <RoleNote permission="audit.read" title="The audit log is not available to you" />
        </div>
      </div>
    );
  }
  const refresh = async () => {
    setRefreshing(true);
    await refetchAudit(qc);
    setRefreshing(false);
  };
  return (
    <div className="page-scroll">
      <div className="page sec-page">
        <div className="sec-head">
          <div>
            <h1>Audit log</h1>
            <p className="muted">
              Who did what, and how it ended.{' '}
              <InfoTip topic="the audit log">
                Logins, power actions, consoles, snapshots and configuration changes, with who did them, from where, and how they ended. Newest first.
              </InfoTip>
            </p>
          </div>
          <IconButton label="Refresh the audit log" disabled={refreshing} onClick={() => void refresh()}>
            <RefreshCw size={16} aria-hidden className={refreshing ? 'spin' : undefined} />
          </IconButton>
        </div>
        <AuditLog />
      </div>
    </div>
  );
}
