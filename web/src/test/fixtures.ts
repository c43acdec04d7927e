// Test data shared by the Vitest suites.

import type { VM } from '../api/types';

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
