// The Hosts page's pure helpers: building a URI from the form, the rules
// a host name follows (the server checks them too, and says more), and
// what a host's state and source mean to users.

import type { Host, HostState } from '../../api/types';

/** The server's rule: 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit. */
export const HOST_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Why a name is not usable, or null when it is. */
export function nameProblem(name: string, taken: readonly string[]): string | null {
  if (name === '') return 'Give the host a name.';
  if (!HOST_NAME_RE.test(name)) return 'Use up to 63 letters, digits, “-”, “_” or “.”, starting with a letter or digit.';
  if (taken.includes(name)) return `There is already a host named “${name}”.`;
  return null;
}

/** Whether a URI reaches its host over SSH. */
export function isSSH(uri: string): boolean {
  return uri.trim().startsWith('qemu+ssh://');
}

/**
 * The URI to send: the one typed, with the key file (a path on the server)
 * as libvirt's `keyfile` parameter when one is given for an SSH host.
 */
export function buildURI(uri: string, keyFile: string): string {
  const u = uri.trim();
  const k = keyFile.trim();
  if (!k || !isSSH(u)) return u;
  const [base, query = ''] = u.split(/\?(.*)/s, 2) as [string, string?];
  const p = new URLSearchParams(query);
  p.set('keyfile', k);
  // '/' may stay as it is in a query (RFC 3986), and paths read better so.
  return `${base}?${p.toString().replaceAll('%2F', '/')}`;
}

/** The key file named in a URI, and the URI without it, for editing. */
export function splitKeyFile(uri: string): { uri: string; keyFile: string } {
  const i = uri.indexOf('?');
  if (i < 0 || !isSSH(uri)) return { uri, keyFile: '' };
  const p = new URLSearchParams(uri.slice(i + 1));
  const keyFile = p.get('keyfile') ?? '';
  p.delete('keyfile');
  const q = p.toString().replaceAll('%2F', '/');
  return { uri: q ? `${uri.slice(0, i)}?${q}` : uri.slice(0, i), keyFile };
}

/** States whose host key waits for an admin. */
export function needsApproval(h: Pick<Host, 'state' | 'hostKey'>): boolean {
  return (h.state === 'untrusted' || h.state === 'host_key_changed') && !!h.hostKey;
}

/** A short phrase for each state, as the Hosts page shows it. */
export const STATE_TEXT: Record<HostState, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  reconnecting: 'Reconnecting',
  failed: 'Failed',
  untrusted: 'Key not approved',
  host_key_changed: 'Key changed',
};

/** Hosts sorted as the page lists them: by name. */
export function sortHosts(hosts: readonly Host[]): Host[] {
  return [...hosts].sort((a, b) => a.name.localeCompare(b.name));
}

/** The order VM states are listed in a host's counts: the busy ones first. */
const STATE_ORDER = ['running', 'paused', 'blocked', 'shutting-down', 'pmsuspended', 'crashed', 'shutoff', 'nostate', 'unknown'];

/** A host's VM counts by state as [state, count] pairs, busy states first, zero counts left out. */
export function vmCounts(counts: Record<string, number> | undefined): [string, number][] {
  const rank = (s: string) => {
    const i = STATE_ORDER.indexOf(s);
    return i < 0 ? STATE_ORDER.length : i;
  };
  return Object.entries(counts ?? {})
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}
