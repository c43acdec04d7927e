// The query keys of every resource, in one table: a key is how a
// component, a mutation and an event name the same cached data.

export const qk = {
  session: ['session'] as const,
  hosts: ['hosts'] as const,
  vms: ['vms'] as const,
  operations: ['operations'] as const,
  /** The prefix of everything about a VM's snapshots: the list, and per snapshot its details and diff. */
  snapshots: (host: string, uuid: string) => ['snapshots', host, uuid] as const,
  sessions: ['sessions'] as const,
  audit: ['audit'] as const,
  pools: (host: string) => ['pools', host] as const,
  volumes: (host: string, pool: string) => ['pools', host, pool, 'volumes'] as const,
  /** A host's networks; a network's own entry (with its leases) shares the prefix. */
  networks: (host: string) => ['networks', host] as const,
  network: (host: string, name: string) => ['networks', host, name] as const,
  /** The prefix of everything about snapshot schedules: the list, a VM's, previews. */
  schedules: ['schedules'] as const,
  vmSchedules: (host: string, uuid: string) => ['schedules', 'vm', host, uuid] as const,
  schedulePreview: (spec: string) => ['schedules', 'preview', spec] as const,
};
