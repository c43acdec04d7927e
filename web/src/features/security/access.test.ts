import { describe, expect, it } from 'vitest';
import type { Permission, Role, Session } from '../../api/types';
import { accessFor, ALL_PERMISSIONS, deniedText, minimumRole, permissionsOf, roleOf, ROLE_PERMISSIONS } from './access';

const session = (over: Partial<Session> = {}): Session => ({ user: 'u', csrfToken: 'c', ...over });

describe('the role table', () => {
  // The contract (security-api.md): each role adds to the one below.
  const table: [Role, Permission[]][] = [
    ['viewer', ['vm.read']],
    ['operator', ['vm.read', 'vm.power', 'vm.console', 'vm.snapshot', 'vm.create']],
    ['admin', ['vm.read', 'vm.power', 'vm.console', 'vm.snapshot', 'vm.create', 'vm.delete', 'vm.edit', 'audit.read', 'sessions.manage', 'hosts.manage']],
  ];
  it.each(table)('%s may do exactly %j', (role, perms) => {
    expect([...ROLE_PERMISSIONS[role]].sort()).toEqual([...perms].sort());
    const a = accessFor(session({ role }));
    for (const p of ALL_PERMISSIONS) expect(a.can(p)).toBe(perms.includes(p));
  });

  it.each([
    ['vm.read', 'viewer'],
    ['vm.power', 'operator'],
    ['vm.console', 'operator'],
    ['vm.snapshot', 'operator'],
    ['vm.delete', 'admin'],
    ['vm.edit', 'admin'],
    ['audit.read', 'admin'],
    ['sessions.manage', 'admin'],
    ['hosts.manage', 'admin'],
  ] as [Permission, Role][])('%s needs %s', (p, role) => {
    expect(minimumRole(p)).toBe(role);
  });
});

describe('permissionsOf', () => {
  it('takes the list the server sent over the role', () => {
    // A server may narrow a role; the UI follows the list.
    const p = permissionsOf(session({ role: 'admin', permissions: ['vm.read', 'vm.power'] }));
    expect([...p]).toEqual(['vm.read', 'vm.power']);
  });

  it('falls back to the role table without a list', () => {
    expect([...permissionsOf(session({ role: 'operator' }))]).toEqual([...ROLE_PERMISSIONS.operator]);
  });

  it('gives read access only to a role it does not know (fail closed)', () => {
    const s = { ...session(), role: 'auditor' } as unknown as Session;
    expect([...permissionsOf(s)]).toEqual(['vm.read']);
    expect(roleOf(s)).toBe('viewer');
  });

  it('gives everything to a session from a server before roles (its token was all-powerful)', () => {
    expect(permissionsOf(session()).size).toBe(ALL_PERMISSIONS.length);
    expect(roleOf(session())).toBe('admin');
  });

  it('gives nothing without a session', () => {
    expect(permissionsOf(null).size).toBe(0);
    const a = accessFor(null);
    expect(a.can('vm.read')).toBe(false);
    expect(a.role).toBeUndefined();
    expect(a.user).toBe('');
  });
});

describe('deniedText', () => {
  it.each([
    ['viewer', 'vm.console', 'Your role (viewer) cannot open consoles; ask an admin for the operator role.'],
    ['viewer', 'vm.power', 'Your role (viewer) cannot start, stop, pause or reset VMs; ask an admin for the operator role.'],
    ['operator', 'vm.edit', 'Your role (operator) cannot change a VM’s configuration; an admin can do it.'],
    ['operator', 'vm.delete', 'Your role (operator) cannot delete VMs; an admin can do it.'],
    ['operator', 'audit.read', 'Your role (operator) cannot read the audit log; an admin can do it.'],
    [undefined, 'vm.console', 'You cannot open consoles; ask an admin for the operator role.'],
  ] as [Role | undefined, Permission, string][])('%s / %s', (role, p, text) => {
    expect(deniedText(role, p)).toBe(text);
  });

  it('is what Access.denied says for the session', () => {
    expect(accessFor(session({ role: 'viewer' })).denied('vm.snapshot')).toBe(
      'Your role (viewer) cannot take, revert, change or delete snapshots; ask an admin for the operator role.',
    );
  });
});
