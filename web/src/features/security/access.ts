// What the signed-in user may do: the session's role and permissions, and
// the words the UI uses where an action is not offered. The server checks
// every request (403 forbidden_role); this only keeps the UI from offering
// what it would refuse.

import type { Permission, Role, Session } from '../../api/types';

/** The roles, weakest first: each includes the ones before it. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

const VIEWER: readonly Permission[] = ['vm.read'];
const OPERATOR: readonly Permission[] = [...VIEWER, 'vm.power', 'vm.console', 'vm.snapshot', 'vm.create'];
const ADMIN: readonly Permission[] = [...OPERATOR, 'vm.delete', 'vm.edit', 'audit.read', 'sessions.manage', 'hosts.manage'];

/** What each role may do (the server's table; used when a session lists no permissions). */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = { viewer: VIEWER, operator: OPERATOR, admin: ADMIN };

/** Every permission, in the order of the table. */
export const ALL_PERMISSIONS: readonly Permission[] = ADMIN;

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** The weakest role that has p. */
export function minimumRole(p: Permission): Role {
  return ROLES.find((r) => ROLE_PERMISSIONS[r].includes(p)) ?? 'admin';
}

/** What a permission allows, to finish "Your role cannot …". */
export const PERMISSION_TEXT: Readonly<Record<Permission, string>> = {
  'vm.read': 'see VMs',
  'vm.power': 'start, stop, pause or reset VMs',
  'vm.console': 'open consoles',
  'vm.snapshot': 'take, revert, change or delete snapshots',
  'vm.create': 'create or clone VMs',
  'vm.delete': 'delete VMs',
  'vm.edit': 'change a VM’s configuration',
  'audit.read': 'read the audit log',
  'sessions.manage': 'end other users’ sessions',
  'hosts.manage': 'add, change or remove hosts, or approve their keys',
};

/** The signed-in user's rights, as the UI asks about them. */
export interface Access {
  user: string;
  /** Undefined when signed out. */
  role: Role | undefined;
  permissions: ReadonlySet<Permission>;
  can: (p: Permission) => boolean;
  /** Why p is not offered: "Your role (viewer) cannot open consoles; ask an admin for the operator role." */
  denied: (p: Permission) => string;
}

/**
 * The permissions of a session. The list the server sends wins; without
 * one, the role's table; a session without a role comes from a server
 * before roles existed, where every session could do everything. An
 * unknown role gets read access only (fail closed), and no session nothing.
 */
export function permissionsOf(session: Session | null | undefined): ReadonlySet<Permission> {
  if (!session) return new Set();
  if (Array.isArray(session.permissions)) return new Set(session.permissions);
  if (session.role === undefined) return new Set(ALL_PERMISSIONS);
  return new Set(isRole(session.role) ? ROLE_PERMISSIONS[session.role] : VIEWER);
}

/** The role a session has; a server before roles made every session an admin in effect. */
export function roleOf(session: Session | null | undefined): Role | undefined {
  if (!session) return undefined;
  if (session.role === undefined) return 'admin';
  return isRole(session.role) ? session.role : 'viewer';
}

/** Says why p is not offered to a user with role. */
export function deniedText(role: Role | undefined, p: Permission): string {
  const need = minimumRole(p);
  const who = role ? `Your role (${role})` : 'You';
  const ask = need === 'admin' ? 'an admin can do it' : `ask an admin for the ${need} role`;
  return `${who} cannot ${PERMISSION_TEXT[p]}; ${ask}.`;
}

/** The Access for a session (null when signed out). */
export function accessFor(session: Session | null | undefined): Access {
  const permissions = permissionsOf(session);
  const role = roleOf(session);
  return {
    user: session?.user ?? '',
    role,
    permissions,
    can: (p) => permissions.has(p),
    denied: (p) => deniedText(role, p),
  };
}
