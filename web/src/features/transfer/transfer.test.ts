import { describe, expect, it } from 'vitest';
import { diskFileName, exportDiskPath, exportFileName, exportPath, importPath } from './transfer';

describe('transfer paths', () => {
  it('asks to pause only when told to', () => {
    expect(exportPath('local', 'u-1', false)).toBe('/api/v1/hosts/local/vms/u-1/export');
    expect(exportPath('a b', 'u-1', true)).toBe('/api/v1/hosts/a%20b/vms/u-1/export?pause=true');
  });
  it('sends a new name only when one is given', () => {
    expect(importPath('local', 'default', '')).toBe('/api/v1/hosts/local/import?pool=default');
    expect(importPath('local', 'my pool', 'web 2')).toBe('/api/v1/hosts/local/import?pool=my+pool&name=web+2');
  });
  it('names the file after the VM, safely', () => {
    expect(exportFileName('web-1')).toBe('web-1.kvmexport.tar');
    expect(exportFileName('../a b')).toBe('a_b.kvmexport.tar');
  });
});

describe('snapshot disk export', () => {
  it('asks for a disk and format only when they differ from the defaults', () => {
    expect(exportDiskPath('local', 'u-1', 's 1')).toBe('/api/v1/hosts/local/vms/u-1/snapshots/s%201/export-disk');
    expect(exportDiskPath('local', 'u-1', 's1', { disk: '', format: 'qcow2' })).toBe('/api/v1/hosts/local/vms/u-1/snapshots/s1/export-disk');
    expect(exportDiskPath('local', 'u-1', 's1', { disk: 'vdb', format: 'raw' })).toBe('/api/v1/hosts/local/vms/u-1/snapshots/s1/export-disk?disk=vdb&format=raw');
  });
  it('names the image after the VM, snapshot and disk, as a usable volume name', () => {
    expect(diskFileName('web-1', 'nightly', 'vda', 'qcow2')).toBe('web-1-nightly-vda.qcow2');
    expect(diskFileName('../a b', 's/1', '', 'raw')).toBe('a_b-s_1-disk.raw');
  });
});
