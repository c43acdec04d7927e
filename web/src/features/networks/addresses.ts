// How a VM's addresses and guest agent read in the UI: pure helpers shared by
// the table, the cards and the VM page.

import type { Address, VM } from '../../api/types';

const SOURCE_LABELS: Record<string, string> = {
  agent: 'from the guest agent',
  lease: 'from a DHCP lease',
  arp: "from the host's ARP table",
};

/** Where an address was read, in words. */
export function sourceLabel(source: string): string {
  return SOURCE_LABELS[source] ?? `from ${source}`;
}

/** The VM's addresses, IPv4 first (the one people type), in the server's order otherwise. */
export function sortedAddresses(vm: Pick<VM, 'addresses'>): Address[] {
  const list = vm.addresses ?? [];
  return [...list].sort((a, b) => Number(a.ip.includes(':')) - Number(b.ip.includes(':')));
}

/** The address to show first, or '' when none is known. */
export function primaryIP(vm: Pick<VM, 'addresses'>): string {
  return sortedAddresses(vm)[0]?.ip ?? '';
}

/** The guest agent's state in words. */
export function agentLabel(agent: string | undefined): string {
  switch (agent) {
    case 'connected':
      return 'Connected';
    case 'disconnected':
      return 'Not connected';
    case 'none':
      return 'No agent channel';
    default:
      return 'Unknown';
  }
}
