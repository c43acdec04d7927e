import { describe, expect, it } from 'vitest';
import { DEFAULTS, newVMSchema, osDefaults, stepsFor, toRequest, type NewVMValues } from './model';

const base: NewVMValues = { ...DEFAULTS, host: 'local', name: 'web-1', pool: 'images', volume: 'debian.iso' };

describe('new VM model', () => {
  it('builds the request of an ISO install', () => {
    expect(toRequest({ ...base, network: 'default', os: 'debian11' })).toEqual({
      name: 'web-1',
      os: 'debian11',
      source: { kind: 'iso', pool: 'images', volume: 'debian.iso' },
      cpu: { count: 1 },
      memoryMiB: 1024,
      firmware: 'bios',
      tpm: false,
      network: { network: 'default' },
      disk: { pool: 'images', size: '10240MiB' },
      start: true,
    });
  });
  it('puts cloud-init fields, or raw user-data, and a dry run', () => {
    const ci = toRequest({ ...base, kind: 'cloud-image', volume: 'cloud.qcow2', user: 'bob', password: 'pw', sshKey: ' ssh-ed25519 AAAA k ' }, true);
    expect(ci.cloudInit).toEqual({ user: 'bob', password: 'pw', sshKeys: ['ssh-ed25519 AAAA k'] });
    expect(ci.dryRun).toBe(true);
    const raw = toRequest({ ...base, kind: 'cloud-image', volume: 'c', userData: '#cloud-config\n' });
    expect(raw.cloudInit).toEqual({ userData: '#cloud-config\n' });
  });
  it('checks the values', () => {
    expect(newVMSchema.safeParse(base).success).toBe(true);
    const bad = newVMSchema.safeParse({ ...base, name: 'a/b', volume: '', userData: 'x', user: 'bob' });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['name', 'volume', 'userData']));
    expect(newVMSchema.safeParse({ ...base, kind: 'pxe', network: '' }).success).toBe(false);
  });
  it('fills in what the OS recommends, and offers cloud-init for cloud images only', () => {
    expect(
      osDefaults({ id: 'x', shortId: 'win11', name: 'Windows 11', firmware: 'efi', minimum: {}, recommended: { cpus: 2, memoryBytes: 4 * 2 ** 30, storageBytes: 64 * 2 ** 30 } }),
    ).toEqual({ os: 'win11', firmware: 'efi', cpus: 2, memoryMiB: 4096, diskGiB: 64 });
    // Windows 11 needs a TPM and Secure Boot: both ticked, and sent.
    const win = { ...base, ...osDefaults({ id: 'x', shortId: 'win11', name: 'Windows 11', firmware: 'efi', tpm: true, minimum: {}, recommended: {} }) };
    expect(win).toMatchObject({ firmware: 'efi', tpm: true, secureBoot: true });
    expect(toRequest(win)).toMatchObject({ firmware: 'efi', secureBoot: true, tpm: true });
    expect(stepsFor('iso')).not.toContain('Cloud-init');
    expect(stepsFor('cloud-image')).toContain('Cloud-init');
  });
});
