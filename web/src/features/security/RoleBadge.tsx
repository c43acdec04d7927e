// A role as a small coloured label: viewer grey, operator blue, admin amber
// (always with its name: colour is never the only cue).

import type { Role } from '../../api/types';

export function RoleBadge({ role, className }: { role: Role | (string & {}) | undefined; className?: string }) {
  if (!role) return null;
  const tone = role === 'admin' || role === 'operator' || role === 'viewer' ? role : 'viewer';
  return <span className={`role-badge role-${tone}${className ? ` ${className}` : ''}`}>{role}</span>;
}
