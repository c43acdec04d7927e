// The Storage page's own helpers: who may do what, and the size rule of
// its forms. The pools, volumes and their changes live in
// resources/storage (re-exported here for the page's files).

import type { Role } from '../../api/types';

export * from '../../resources/storage/model';
export { invalidatePools as invalidateStorage, poolsQuery, volumesQuery } from '../../resources/storage/queries';
export { startClone } from '../../resources/storage/mutations';
export { uploadVolume, type Upload } from '../../resources/storage/upload';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether role is need or above. */
export function atLeast(role: Role | undefined, need: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[need];
}

/**
 * Checks a size as the server reads it, to say so before sending: whole
 * bytes, or a whole number of KiB, MiB, GiB or TiB. Returns the problem,
 * or null when the size reads.
 */
export function sizeProblem(s: string): string | null {
  const v = s.trim();
  if (v === '') return 'Give a size, e.g. 20GiB.';
  if (/^\d+$/.test(v)) return Number(v) > 0 ? null : 'The size must be more than 0.';
  const m = /^(\d+)\s*(KiB|MiB|GiB|TiB)$/.exec(v);
  if (!m) return /^\d+(\.\d+)?\s*[KMGT]B?$/i.test(v) ? 'Use binary units: MiB, GiB or TiB (12 GB is ambiguous).' : 'Use a number with MiB, GiB or TiB, e.g. 20GiB.';
  return Number(m[1]) > 0 ? null : 'The size must be more than 0.';
}
