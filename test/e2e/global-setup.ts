import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { removeLeftoverGuests, root, saveState, startServer, testguest, virsh } from './env.ts';

/**
 * Creates three uniquely named test guests (one running) and starts the real
 * kvm-manager binary (bin/, built by make build) on a free loopback port.
 */
export default async function globalSetup(): Promise<void> {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  // Guests left by an earlier run that was killed before its teardown.
  removeLeftoverGuests('e2e-');
  const run = randomBytes(3).toString('hex');
  const vms = ['alpha', 'bravo', 'charlie'].map((n) => `e2e-${run}-${n}`);
  for (const name of vms) {
    testguest('create', '--name', name);
  }
  testguest('create', '--name', `e2e-${run}-delta`, '--start', '--wait');
  vms.push(`e2e-${run}-delta`);

  const token = randomBytes(24).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'kvm-manager-e2e-'));
  writeFileSync(join(root, 'test-results', 'e2e-server.log'), '');
  const { baseURL, pid } = await startServer('127.0.0.1:0', token, dataDir);
  saveState({
    baseURL,
    token,
    serverPid: pid,
    dataDir,
    vms: vms.map((name) => ({ name, uuid: virsh('domuuid', name) })),
  });
}
