// Reading the audit log: pages of entries, newest first, filtered; the log
// is read again when an operation ends (its entry is written then) and on
// demand.

import { infiniteQueryOptions, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '../../api/client';
import type { AuditPage } from '../../api/types';
import { qk } from '../keys';
import { onOperation } from '../operation/listeners';

/** The query string of one page, from the filters and the cursor (features/security/audit.ts builds it). */
export type AuditPageQuery = (cursor: string | undefined) => string;

export function auditQuery<F>(filters: F, pageQuery: AuditPageQuery, nextCursor: (page: AuditPage) => string | undefined) {
  return infiniteQueryOptions({
    queryKey: [...qk.audit, filters],
    queryFn: ({ pageParam, signal }) => api<AuditPage>(`/api/v1/audit?${pageQuery(pageParam)}`, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    staleTime: 0,
    refetchOnWindowFocus: true,
  });
}

/** Reads every audit query on screen again (Refresh); resolves when they are read. */
export function refetchAudit(qc: QueryClient): Promise<void> {
  return qc.refetchQueries({ queryKey: qk.audit, type: 'active' });
}

/** An operation that ends writes its entry: reads the log again, once for a burst (after `delayMs` of quiet). */
export function useAuditFollowsOperations(delayMs = 500): void {
  const qc = useQueryClient();
  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | undefined;
    const off = onOperation((op) => {
      if (op.state === 'running') return;
      clearTimeout(t);
      t = setTimeout(() => void qc.invalidateQueries({ queryKey: qk.audit }), delayMs);
    });
    return () => {
      off();
      clearTimeout(t);
    };
  }, [qc, delayMs]);
}
