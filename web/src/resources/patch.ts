// Patching a cached list with news from an event.

import type { QueryClient, QueryKey, Updater } from '@tanstack/react-query';

/**
 * Applies an event's news to a cached list. A read of that list already
 * under way started before the news and would overwrite it when it lands
 * (a page that loads while an operation starts and ends never showed the
 * operation): such a read is started again, so the answer that lands is
 * newer than the news.
 */
export function patchCached<T>(qc: QueryClient, key: QueryKey, update: Updater<T | undefined, T | undefined>): void {
  qc.setQueryData<T>(key, update);
  if (qc.isFetching({ queryKey: key, exact: true }) > 0) void qc.invalidateQueries({ queryKey: key, exact: true });
}
