// The New VM wizard end to end: the test guest's bootable ISO is uploaded
// from inside the wizard into a pool of the spec's own, then a VM is created
// from it (source, system, summary with the domain
// XML), started, and opened on its console, which connects. virsh is the
// ground truth; the VM, its disk and the pool are removed afterwards.
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root, state, virsh } from './env.ts';
import { login, shot } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';
const suffix = randomBytes(4).toString('hex');
const pool = `e2e-newvm-pool-${suffix}`;
const vmName = `e2e-newvm-${suffix}`;
// QEMU (libvirt-qemu) must reach the files: not a private temporary folder.
const dir = join(guestDir, 'vms', pool);
let iso = '';

test.beforeAll(() => {
  const out = execFileSync(join(root, 'scripts', 'build-test-guest-media.sh'), [guestDir], { encoding: 'utf8' });
  iso = out.split('\n').find((l) => l.endsWith('.iso')) ?? '';
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  virsh('pool-define-as', pool, 'dir', '--target', dir);
  virsh('pool-start', pool);
});

test.afterAll(() => {
  // Only this spec's VM and pool, by their unique names.
  if (virsh('list', '--all', '--name').split('\n').includes(vmName)) {
    try {
      virsh('destroy', vmName);
    } catch {
      /* not running */
    }
    virsh('undefine', vmName, '--nvram');
  }
  try {
    for (const line of virsh('vol-list', '--pool', pool).split('\n').slice(2)) {
      const name = line.trim().split(/\s+/)[0];
      if (name) virsh('vol-delete', '--pool', pool, name);
    }
    virsh('pool-destroy', pool);
    virsh('pool-undefine', pool);
  } catch (err) {
    console.warn(`removing ${pool}:`, err);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('an uploaded ISO becomes a running VM with its console open', async ({ page }) => {
  test.setTimeout(240_000);
  await login(page);
  // The wizard, from the sidebar; the ISO is uploaded from inside it into the chosen pool.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New VM' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New VM' })).toBeVisible();
  await page.getByLabel('An ISO image').check();
  await page.getByRole('combobox', { name: 'Pool', exact: true }).selectOption(pool);
  await page.getByRole('button', { name: 'Upload an ISO…' }).click();
  const up = page.getByRole('dialog', { name: `Upload to “${pool}”` });
  await up.getByLabel('File').setInputFiles({ name: 'testguest.iso', mimeType: 'application/octet-stream', buffer: readFileSync(iso) });
  await shot(page, 'newvm-upload');
  await up.getByRole('button', { name: 'Upload' }).click();
  await expect(up).toBeHidden({ timeout: 60_000 });
  // The uploaded volume is chosen.
  await expect(page.getByRole('combobox', { name: 'Volume', exact: true })).toHaveValue('testguest.iso');
  // osinfo-db does not know the test guest, and says so.
  await expect(page.getByRole('status').filter({ hasText: 'does not recognise' })).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByRole('textbox', { name: 'Name' }).fill(vmName);
  await page.getByLabel('Memory (MiB)').fill('256');
  await page.getByLabel('Disk (GiB)').fill('0.25');
  await page.getByRole('button', { name: 'Next' }).click();

  await page.getByText(/^Domain XML/).click();
  await expect(page.locator('.newvm-xml')).toContainText(`<name>${vmName}</name>`);
  await page.getByRole('button', { name: 'Create VM' }).click();

  // The VM's console opens and connects; libvirt runs the VM.
  await expect(page).toHaveURL(/\/vms\/local\/[0-9a-f-]+\/console$/, { timeout: 120_000 });
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 60_000 });
  expect(virsh('domstate', vmName)).toBe('running');
  expect(virsh('domblklist', vmName)).toContain('testguest.iso');
});
