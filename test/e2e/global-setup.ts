import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
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
  // Both streams go to a file: a pipe closed after start-up would kill the
  // server (SIGPIPE) the next time it prints.
  const logPath = join(root, 'test-results', 'e2e-server.log');
  const log = openSync(logPath, 'w');
  const server = spawn(join(root, 'bin', 'kvm-manager'), ['--listen', '127.0.0.1:0', '--data-dir', dataDir, '--stats-interval', '1s'], {
    env: { ...process.env, KVM_MANAGER_TOKEN: token },
    stdio: ['ignore', log, log],
    detached: true,
  });
  server.unref();
  let baseURL = '';
  for (let i = 0; i < 200 && !baseURL; i++) {
    const m = /serving on (http:\/\/\S+)/.exec(readFileSync(logPath, 'utf8'));
    if (m) baseURL = m[1];
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (!baseURL) throw new Error(`kvm-manager did not print its address; see ${logPath}`);

  const state: E2EState = {
    baseURL,
    token,
    serverPid: server.pid ?? 0,
    vms: vms.map((name) => ({ name, uuid: virsh('domuuid', name) })),
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
}
