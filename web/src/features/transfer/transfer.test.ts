import { describe, expect, it } from 'vitest';
import { exportFileName, exportPath, importPath } from './transfer';

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
