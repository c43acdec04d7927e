// The New VM wizard's model: the form's values (checked with zod), the
// request they become (POST /api/v1/hosts/{host}/vms), and the steps.
// Kept pure for tests; NewVMPage renders it.

import { z } from 'zod';

export type SourceKind = 'iso' | 'disk' | 'cloud-image' | 'pxe';

export const STEPS = ['Source', 'System', 'Cloud-init', 'Summary'] as const;
export type Step = (typeof STEPS)[number];

/** The steps a source has: cloud-init only for a cloud image. */
export function stepsFor(kind: SourceKind): Step[] {
  return STEPS.filter((s) => s !== 'Cloud-init' || kind === 'cloud-image');
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const newVMSchema = z
  .object({
    host: z.string().min(1, 'choose a host'),
    kind: z.enum(['iso', 'disk', 'cloud-image', 'pxe']),
    pool: z.string(),
    volume: z.string(),
    copy: z.boolean(),
    name: z.string().regex(NAME, "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"),
    os: z.string(),
    cpus: z.number().int().min(1, 'at least 1').max(255, 'at most 255'),
    memoryMiB: z.number().int().min(64, 'at least 64 MiB'),
    diskGiB: z.number().min(0),
    firmware: z.enum(['bios', 'efi']),
    secureBoot: z.boolean(),
    tpm: z.boolean(),
    network: z.string(),
    hostname: z.string(),
    user: z.string(),
    password: z.string(),
    sshKey: z.string(),
    userData: z.string(),
    start: z.boolean(),
    openConsole: z.boolean(),
  })
  .superRefine((v, ctx) => {
    if (v.kind !== 'pxe' && (!v.pool || !v.volume)) ctx.addIssue({ code: 'custom', path: ['volume'], message: 'choose the source volume' });
    if (v.kind === 'pxe' && !v.network) ctx.addIssue({ code: 'custom', path: ['network'], message: 'network boot needs a network' });
    if ((v.kind === 'iso' || v.kind === 'pxe') && v.diskGiB <= 0) ctx.addIssue({ code: 'custom', path: ['diskGiB'], message: 'give the disk a size' });
    if (v.userData.trim() && (v.user || v.password || v.sshKey))
      ctx.addIssue({ code: 'custom', path: ['userData'], message: 'use either the fields above or raw user-data, not both' });
  });

export type NewVMValues = z.infer<typeof newVMSchema>;

export const DEFAULTS: Omit<NewVMValues, 'host'> = {
  kind: 'iso',
  pool: '',
  volume: '',
  copy: false,
  name: '',
  os: '',
  cpus: 1,
  memoryMiB: 1024,
  diskGiB: 10,
  firmware: 'bios',
  secureBoot: false,
  tpm: false,
  network: '',
  hostname: '',
  user: '',
  password: '',
  sshKey: '',
  userData: '',
  start: true,
  openConsole: true,
};

/** The request body the values make (dryRun for the summary's XML). */
export function toRequest(v: NewVMValues, dryRun = false): Record<string, unknown> {
  const req: Record<string, unknown> = {
    name: v.name,
    source: v.kind === 'pxe' ? { kind: 'pxe' } : { kind: v.kind, pool: v.pool, volume: v.volume, ...(v.kind === 'disk' && v.copy ? { copy: true } : {}) },
    cpu: { count: v.cpus },
    memoryMiB: v.memoryMiB,
    firmware: v.firmware,
    tpm: v.tpm,
    network: v.network ? { network: v.network } : { none: true },
    start: v.start,
  };
  if (v.os) req.os = v.os;
  if (v.firmware === 'efi') req.secureBoot = v.secureBoot;
  const disk: Record<string, unknown> = {};
  if (v.pool) disk.pool = v.pool;
  if ((v.kind === 'iso' || v.kind === 'pxe' || v.kind === 'cloud-image') && v.diskGiB > 0) disk.size = `${Math.round(v.diskGiB * 1024)}MiB`;
  if (Object.keys(disk).length) req.disk = disk;
  if (v.kind === 'cloud-image') {
    const ci: Record<string, unknown> = {};
    if (v.hostname) ci.hostname = v.hostname;
    if (v.userData.trim()) ci.userData = v.userData;
    else {
      if (v.user) ci.user = v.user;
      if (v.password) ci.password = v.password;
      if (v.sshKey.trim()) ci.sshKeys = [v.sshKey.trim()];
    }
    req.cloudInit = ci;
  }
  if (dryRun) req.dryRun = true;
  return req;
}

/** One OS of osinfo-db as the server lists it. */
export interface OSInfo {
  id: string;
  shortId: string;
  name: string;
  firmware: 'bios' | 'efi';
  /** The OS needs a TPM 2.0 (and Secure Boot): Windows 11. */
  tpm?: boolean;
  recommended: { cpus?: number; memoryBytes?: number; storageBytes?: number };
  minimum: { cpus?: number; memoryBytes?: number; storageBytes?: number };
}

/** The values an OS fills in: its recommended resources, firmware, and a TPM with Secure Boot where it needs them. */
export function osDefaults(os: OSInfo): Partial<NewVMValues> {
  const r = os.recommended;
  const out: Partial<NewVMValues> = { os: os.shortId, firmware: os.firmware };
  if (os.tpm) {
    out.tpm = true;
    out.secureBoot = true;
  }
  if (r.cpus) out.cpus = r.cpus;
  if (r.memoryBytes) out.memoryMiB = Math.round(r.memoryBytes / 2 ** 20);
  if (r.storageBytes) out.diskGiB = Math.ceil(r.storageBytes / 2 ** 30);
  return out;
}
