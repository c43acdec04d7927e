import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, state } from './env.ts';
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

test('an admin adds the SSH session host, approves its key, sees its VMs, and removes it', async ({ page }) => {
  const env = setupRemote();
  const guest = `e2e-remote-${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'e2e-remote-'));
  chmodSync(dir, 0o755);
  const xml = join(dir, 'guest.xml');
  writeFileSync(xml, `<domain type='qemu'><name>${guest}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`, { mode: 0o644 });
  asKvmtest('define', xml);
  const hostName = `e2e-remote-${Date.now().toString(36)}`;
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
    await shot(page, 'hosts-page');

    // Its VM is on the dashboard, under its host.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await expect(card(page, guest)).toBeVisible({ timeout: 20_000 });

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
    try {
      asKvmtest('undefine', guest);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
