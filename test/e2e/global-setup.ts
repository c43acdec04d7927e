import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { root, stateFile, testguest, virsh, type E2EState } from './env.ts';

/**
 * Creates three uniquely named test guests (one running) and starts the real
 * kvm-manager binary (bin/, built by make build) on a free loopback port.
 */
export default async function globalSetup(): Promise<void> {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  // Guests left by an earlier run that was killed before its teardown.
  for (const name of virsh('list', '--all', '--name').split('\n')) {
    if (name.startsWith('e2e-')) testguest('remove', '--name', name.trim());
  }
  const run = randomBytes(3).toString('hex');
  const vms = ['alpha', 'bravo', 'charlie'].map((n) => `e2e-${run}-${n}`);
  for (const name of vms) {
    testguest('create', '--name', name);
  }
  testguest('create', '--name', `e2e-${run}-delta`, '--start', '--wait');
  vms.push(`e2e-${run}-delta`);

  const token = randomBytes(24).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'kvm-manager-e2e-'));
  const log = openSync(join(root, 'test-results', 'e2e-server.log'), 'w');
  const server = spawn(join(root, 'bin', 'kvm-manager'), ['--listen', '127.0.0.1:0', '--data-dir', dataDir, '--stats-interval', '1s'], {
    env: { ...process.env, KVM_MANAGER_TOKEN: token },
    stdio: ['ignore', 'pipe', log],
    detached: true,
  });
  const baseURL = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('kvm-manager did not print its address')), 20_000);
    let out = '';
    server.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`kvm-manager exited with ${code}`)));
  });
  server.unref();
  server.stdout.destroy();

  const state: E2EState = {
    baseURL,
    token,
    serverPid: server.pid ?? 0,
    vms: vms.map((name) => ({ name, uuid: virsh('domuuid', name) })),
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
}
