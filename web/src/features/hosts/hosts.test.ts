import { describe, expect, it } from 'vitest';
import { buildURI, nameProblem, needsApproval, splitKeyFile, vmCounts } from './hosts';

describe('nameProblem', () => {
  it('accepts the server’s names and refuses the rest', () => {
    expect(nameProblem('kvm2', [])).toBeNull();
    expect(nameProblem('a.b-c_d', [])).toBeNull();
    expect(nameProblem('', [])).toMatch(/name/);
    expect(nameProblem('-a', [])).toMatch(/starting/);
    expect(nameProblem('a/b', [])).toMatch(/letters/);
    expect(nameProblem('x'.repeat(64), [])).toMatch(/63/);
    expect(nameProblem('local', ['local'])).toMatch(/already/);
  });
});

describe('buildURI and splitKeyFile', () => {
  it('adds the key file to SSH URIs only', () => {
    expect(buildURI('qemu+ssh://root@kvm2/system', '/root/.ssh/id')).toBe('qemu+ssh://root@kvm2/system?keyfile=/root/.ssh/id');
    expect(buildURI('qemu+ssh://root@kvm2/system?known_hosts=/k', '/id')).toBe('qemu+ssh://root@kvm2/system?known_hosts=/k&keyfile=/id');
    expect(buildURI('qemu+tls://kvm2/system', '/id')).toBe('qemu+tls://kvm2/system');
    expect(buildURI(' qemu:///system ', '')).toBe('qemu:///system');
  });
  it('takes the key file back out for editing', () => {
    expect(splitKeyFile('qemu+ssh://r@h/system?keyfile=%2Fid&known_hosts=/k')).toEqual({ uri: 'qemu+ssh://r@h/system?known_hosts=/k', keyFile: '/id' });
    expect(splitKeyFile('qemu+ssh://r@h/system?keyfile=/id')).toEqual({ uri: 'qemu+ssh://r@h/system', keyFile: '/id' });
    expect(splitKeyFile('qemu:///system')).toEqual({ uri: 'qemu:///system', keyFile: '' });
  });
});

describe('needsApproval', () => {
  it('is true for an unapproved key only', () => {
    const key = { type: 'ssh-ed25519', fingerprint: 'SHA256:x' };
    expect(needsApproval({ state: 'untrusted', hostKey: key })).toBe(true);
    expect(needsApproval({ state: 'host_key_changed', hostKey: key })).toBe(true);
    expect(needsApproval({ state: 'connected' })).toBe(false);
    expect(needsApproval({ state: 'untrusted' })).toBe(false);
  });
});

describe('vmCounts', () => {
  it('lists busy states first and leaves out zeros', () => {
    expect(vmCounts({ shutoff: 3, running: 2, paused: 0, crashed: 1 })).toEqual([
      ['running', 2],
      ['crashed', 1],
      ['shutoff', 3],
    ]);
    expect(vmCounts(undefined)).toEqual([]);
  });
});
