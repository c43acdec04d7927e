// Test data shared by the Vitest suites.

import type { Permission, Role, Session, VM } from '../api/types';

/** A VM with sensible defaults. */
export function makeVM(over: Partial<VM> = {}): VM {
  return {
    host: 'local',
    uuid: '00000000-0000-4000-8000-000000000001',
    name: 'web',
    state: 'running',
    domainType: 'kvm',
    firmware: 'bios',
    vcpus: 2,
    memoryMaxKiB: 2097152,
    memoryKiB: 2097152,
    disks: [],
    nics: [],
    graphics: [],
    serialConsole: true,
    autostart: false,
    persistent: true,
    snapshotCount: 0,
    updated: '2026-01-01T00:00:00Z',
    ...over,
  };
}

/** A signed-in session of a role (admin by default), as GET /api/v1/session answers. */
export function makeSession(role: Role = 'admin', user: string = role === 'admin' ? 'ada' : role === 'operator' ? 'otto' : 'vera'): Session {
  const permissions: Record<Role, Permission[]> = {
    viewer: ['vm.read'],
    operator: ['vm.read', 'vm.power', 'vm.console', 'vm.snapshot'],
    admin: ['vm.read', 'vm.power', 'vm.console', 'vm.snapshot', 'vm.delete', 'vm.edit', 'audit.read', 'sessions.manage', 'hosts.manage'],
  };
  return { user, role, csrfToken: 'csrf', permissions: permissions[role], expiresAt: '2026-01-01T12:00:00Z' };
}
