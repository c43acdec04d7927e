// Virtual networks as the server sends them, their API paths, and how a
// network's forward mode reads.

export interface NetworkRange {
  family: 'ipv4' | 'ipv6' | (string & {});
  address: string;
  prefix: number;
  subnet?: string;
  dhcpStart?: string;
  dhcpEnd?: string;
  hosts?: { mac: string; ip: string; name?: string }[];
}

export interface NetworkUser {
  uuid: string;
  name: string;
  state: string;
  mac?: string;
}

export interface Lease {
  mac: string;
  ip: string;
  prefix: number;
  hostname?: string;
  expiry: number;
  vm?: NetworkUser;
}

export interface Network {
  host: string;
  name: string;
  uuid: string;
  active: boolean;
  autostart: boolean;
  bridge?: string;
  forward: string;
  forwardDev?: string;
  ips: NetworkRange[];
  vms: NetworkUser[];
  leases?: Lease[];
}

export type NetworkMode = 'nat' | 'isolated' | 'route' | 'bridge';

/** A static DHCP lease: this MAC always gets this address. */
export interface StaticLease {
  mac: string;
  ip: string;
  name?: string;
}

export interface CreateNetworkRequest {
  name: string;
  mode: NetworkMode;
  /** Absent for mode bridge (the host bridge's own network gives addresses). */
  subnet?: string;
  dhcpStart?: string;
  dhcpEnd?: string;
  hosts?: StaticLease[];
  /** With mode bridge, the host's existing bridge. */
  bridge?: string;
  start?: boolean;
  autostart?: boolean;
}

export const networksPath = (host: string) => `/api/v1/hosts/${encodeURIComponent(host)}/networks`;
export const networkPath = (host: string, name: string) => `${networksPath(host)}/${encodeURIComponent(name)}`;

export const MODE_LABELS: Record<string, string> = {
  nat: 'NAT',
  route: 'Routed',
  isolated: 'Isolated',
  open: 'Open',
  bridge: 'Host bridge',
};

export function modeLabel(forward: string): string {
  return MODE_LABELS[forward] ?? forward;
}
