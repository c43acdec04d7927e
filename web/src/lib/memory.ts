// How a VM's memory reads: what the guest uses of what it has (from its
// balloon driver), and apart from it, labelled, what its QEMU process holds
// on the host, which includes QEMU itself and can exceed the VM's memory.

import { formatKiB } from './format';

/** "95 of 180 MiB" (one unit when both share it), "1.5 GiB of 2 GiB" otherwise; "—" without figures. */
export function formatUsedOf(usedKiB: number | undefined, totalKiB: number | undefined): string {
  if (usedKiB === undefined || totalKiB === undefined || !(totalKiB > 0)) return '—';
  const u = formatKiB(usedKiB);
  const t = formatKiB(totalKiB);
  const [un, uu] = u.split(' ');
  const [, tu] = t.split(' ');
  return uu === tu ? `${un} of ${t}` : `${u} of ${t}`;
}

export interface MemoryFigures {
  /** KiB the guest uses, and of how much; undefined when the guest reports nothing. */
  usedKiB?: number | undefined;
  totalKiB?: number | undefined;
  /** KiB resident on the host. */
  rssKiB?: number | undefined;
}

/** The card's memory read-out: the text and a title that explains it. */
export function describeMemory(m: MemoryFigures, vmKiB: number): { text: string; title: string } {
  const host = m.rssKiB ? `Host: the QEMU process holds ${formatKiB(m.rssKiB)} (its own memory included).` : '';
  if (m.usedKiB !== undefined && m.totalKiB) {
    return { text: formatUsedOf(m.usedKiB, m.totalKiB), title: `The guest uses ${formatKiB(m.usedKiB)} of its ${formatKiB(m.totalKiB)}. ${host}`.trim() };
  }
  return {
    text: `? of ${formatKiB(vmKiB)}`,
    title: `The guest reports no memory use (it needs a virtio balloon driver). ${host}`.trim(),
  };
}
