// The Networks page's pure parts: the create form's rules and suggestions
// (checked again by the server, which has the last word). The network
// model lives in resources/network (re-exported here for the page's files).

import type { StaticLease } from '../../resources/network/model';

export * from '../../resources/network/model';
export { networkKey, networksKey } from '../../resources/network/queries';

/**
 * The static leases of the form's rows: rows left empty are dropped, the
 * rest trimmed (the server checks MACs and addresses).
 */
export function staticLeases(rows: readonly StaticLease[]): StaticLease[] {
  return rows
    .map((r) => ({ mac: r.mac.trim(), ip: r.ip.trim(), name: r.name?.trim() ?? '' }))
    .filter((r) => r.mac !== '' || r.ip !== '' || r.name !== '')
    .map((r) => (r.name ? r : { mac: r.mac, ip: r.ip }));
}

/** The same rule as the server's network names. */
export function nameProblem(name: string): string | null {
  if (name === '') return 'Give the network a name.';
  if (name.length > 64) return 'At most 64 characters.';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) {
    return "Letters, digits, '.', '_' or '-', starting with a letter or digit.";
  }
  return null;
}

function parseV4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return (((parts[0] ?? 0) << 24) >>> 0) + ((parts[1] ?? 0) << 16) + ((parts[2] ?? 0) << 8) + (parts[3] ?? 0);
}

function formatV4(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/**
 * A DHCP range for a subnet in CIDR form: from a tenth of the way in (the
 * low addresses stay free for static ones) to the last address before the
 * broadcast; null when the subnet does not parse or is too small.
 */
export function suggestRange(subnet: string): { start: string; end: string } | null {
  const [addr, bitsText] = subnet.trim().split('/');
  const base = parseV4(addr ?? '');
  const bits = Number(bitsText);
  if (base === null || !Number.isInteger(bits) || bits < 8 || bits > 29) return null;
  const size = 2 ** (32 - bits);
  const network = base - (base % size);
  if (network !== base) return null;
  const first = network + Math.max(2, Math.floor(size / 10));
  const last = network + size - 2;
  return first < last ? { start: formatV4(first), end: formatV4(last) } : null;
}
