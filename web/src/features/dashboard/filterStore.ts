// The dashboard's search, filters and sort: kept while the user visits a VM
// and comes back.

import { createStore } from '../../lib/store';
import type { VMFilter } from '../../lib/vm';

export const filterStore = createStore<VMFilter>({ search: '', state: 'all', host: '', sort: 'name' });

export function setFilter(patch: Partial<VMFilter>): void {
  filterStore.set((f) => ({ ...f, ...patch }));
}
