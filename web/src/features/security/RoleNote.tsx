// What shows where a feature would be that the user's role does not have
// (a viewer's Console tab): what is missing and who can change that,
// instead of trying and failing.

import { ShieldAlert } from 'lucide-react';
import type { Permission } from '../../api/types';
import { useAccess } from './useAccess';

export function RoleNote({ permission, title }: { permission: Permission; title: string }) {
  const { denied } = useAccess();
  return (
    <div className="role-note" role="note" aria-label={title} data-testid="role-note">
      <ShieldAlert size={22} aria-hidden />
      <div>
        <h2>{title}</h2>
        <p>{denied(permission)}</p>
      </div>
    </div>
  );
}

/** A short inline version, beside a control that is shown read-only. */
export function RoleHint({ permission }: { permission: Permission }) {
  const { denied } = useAccess();
  return (
    <span className="role-inline small" data-testid="role-hint">
      <ShieldAlert size={13} aria-hidden />
      {denied(permission)}
    </span>
  );
}
