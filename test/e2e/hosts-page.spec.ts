import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, state, testguest } from './env.ts';
import { card, login, shot } from './helpers.ts';

// The Hosts page against a real second libvirt: kvmtest's session daemon
// reached over SSH (scripts/setup-remote.sh starts the loopback sshd; without
// --tls it leaves the system libvirtd alone).
function setupRemote(): Record<string, string> {
  const out = execFileSync(join(root, 'scripts', 'setup-remote.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => l.split(/=(.*)/s, 2) as [string, string]));
}

function asKvmtest(...args: string[]): string {
  return execFileSync('runuser', ['-u', 'kvmtest', '--', 'virsh', '-q', '-c', 'qemu:///session', ...args], { encoding: 'utf8' }).trim();
}

// The test guests of kvmtest's session daemon (as in the integration
// tests): the shared kernel and initramfs linked here, one directory per
// guest owned by kvmtest, whose QEMU runs as kvmtest.
const sessionGuests = '/var/lib/kvm-manager-test/guests';
const guestBuild = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';

/** Defines and starts the real test guest (VNC on loopback, ttyS1 logged) in kvmtest's session daemon; returns its ttyS1 log. */
function startSessionGuest(name: string, dir: string): string {
  mkdirSync(join(sessionGuests, 'vms'), { recursive: true });
  for (const f of ['vmlinuz', 'initramfs.gz']) {
    if (!existsSync(join(sessionGuests, f))) symlinkSync(join(guestBuild, f), join(sessionGuests, f));
  }
  const vmDir = join(sessionGuests, 'vms', name);
  mkdirSync(vmDir, { recursive: true });
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(vmDir, 'data.qcow2'), '64M']);
  const log = join(vmDir, 'ttyS1.log');
  writeFileSync(log, '');
  execFileSync('chown', ['-R', 'kvmtest:kvmtest', vmDir]);
  const xml = join(dir, 'guest.xml');
  writeFileSync(xml, testguest('xml', '--name', name, '--dir', sessionGuests, '--type', 'qemu'), { mode: 0o644 });
  asKvmtest('define', xml);
  asKvmtest('start', name);
  return log;
}

function guestLog(log: string, since: number): string {
  return existsSync(log) ? readFileSync(log).subarray(since).toString() : '';
}

test('an admin adds the SSH session host, approves its key, sees its VMs, types into its console, and removes it', async ({ page }) => {
  test.setTimeout(240_000);
  const env = setupRemote();
  const guest = `e2e-remote-${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'e2e-remote-'));
  chmodSync(dir, 0o755);
  // It boots (TCG, on a busy machine) while the host is added.
  const log = startSessionGuest(guest, dir);
  const uuid = asKvmtest('domuuid', guest);
  const hostName = `e2e-rhost-${Date.now().toString(36)}`;
  try {
    await login(page);
    await page.goto(`${state().baseURL}/hosts`);
    await expect(page.getByRole('heading', { level: 1, name: 'Hosts' })).toBeVisible();
    await expect(page.getByRole('row').filter({ hasText: 'qemu:///system' })).toContainText('configured');

    await page.getByRole('button', { name: 'Add host' }).click();
    const form = page.getByRole('form', { name: 'Add a host' });
    await form.getByLabel('Name').fill(hostName);
    // A known_hosts file of the test's own: the key starts unknown on every run.
    await form.getByLabel('libvirt URI').fill(`qemu+ssh://${env.KVM_TEST_SSH_USER}@127.0.0.1:${env.KVM_TEST_SSH_PORT}/session?known_hosts=${dir}/known_hosts`);
    await form.getByLabel('SSH key file').fill(env.KVM_TEST_SSH_KEY);
    await form.getByRole('button', { name: 'Test connection' }).click();
    const probe = form.getByTestId('host-probe');
    await expect(probe).toContainText('Key not approved', { timeout: 20_000 });
    await expect(probe).toContainText('SHA256:');
    const fingerprint = (await probe.locator('.host-fp').textContent())?.split(' ')[1] ?? '';
    expect(fingerprint).toMatch(/^SHA256:/);
    await shot(page, 'hosts-add');
    await form.getByRole('button', { name: 'Add host' }).click();

    const row = page.getByRole('row').filter({ hasText: hostName });
    await expect(row.getByTestId('host-state')).toHaveText('Key not approved', { timeout: 20_000 });
    await expect(row).toContainText(fingerprint);
    await row.getByRole('button', { name: 'Approve key' }).click();
    const dialog = page.getByRole('alertdialog');
    await expect(dialog).toContainText(fingerprint);
    await shot(page, 'hosts-approve-key');
    await dialog.getByRole('button', { name: 'Approve key' }).click();
    await expect(row.getByTestId('host-state')).toHaveText('Connected', { timeout: 30_000 });
    await expect(row).toContainText(fingerprint); // the approved key of the live connection
    await expect(row.getByRole('button', { name: `Remove ${hostName}` })).toBeVisible();
    // What the host's libvirt says about its computer, and its VMs by state.
    await expect(row.getByTestId('host-software')).toContainText('QEMU');
    await expect(row.getByTestId('host-machine')).toContainText(/\d+ CPUs?/);
    await expect(row.getByTestId('host-vms')).toContainText('1 running', { timeout: 20_000 });
    await shot(page, 'hosts-page');

    // Its VM is on the dashboard, under its host.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await expect(card(page, guest)).toBeVisible({ timeout: 20_000 });

    // Its console: VNC on the remote host's loopback, through the one SSH
    // connection; keys typed run in the guest (read back from its ttyS1 log).
    await expect.poll(() => guestLog(log, 0).includes('KVMTEST-READY boot='), { timeout: 120_000, message: `${guest} did not boot` }).toBe(true);
    await page.goto(`${state().baseURL}/vms/${hostName}/${uuid}/console`);
    await expect(page.getByRole('heading', { level: 1, name: guest })).toBeVisible();
    await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
    await page.getByRole('application', { name: `Screen of ${guest}` }).click();
    const since = readFileSync(log).length;
    await page.keyboard.type('echo RMT$((6*7))X > /dev/ttyS1', { delay: 30 });
    await page.keyboard.press('Enter');
    await expect.poll(() => guestLog(log, since), { timeout: 30_000, message: 'the typed line did not run in the remote guest' }).toContain('RMT42X');
    await shot(page, 'hosts-remote-console');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).click();
    await row.getByRole('button', { name: `Remove ${hostName}` }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Remove host' }).click();
    await expect(row).toHaveCount(0);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await expect(card(page, guest)).toHaveCount(0);
  } finally {
    // Whatever happened above: the host goes (ignoring "not found"), the guest and its file too.
    await page.request
      .delete(`${state().baseURL}/api/v1/hosts/${hostName}`, { headers: { Authorization: `Bearer ${state().token}` } })
      .catch(() => undefined);
    for (const args of [['destroy', guest], ['undefine', '--snapshots-metadata', guest]]) {
      try {
        asKvmtest(...args);
      } catch {
        // not running, or already gone
      }
    }
    rmSync(join(sessionGuests, 'vms', guest), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
