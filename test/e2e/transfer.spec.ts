// Export and import: a shut-off guest of the spec's own with one snapshot
// (its folder made a transient pool, so that libvirt streams its disk) is
// exported from its Snapshots tab as a download, and the file imported
// under a new name into a second pool from the Storage page; virsh then
// shows the copy with the same snapshot. Then the snapshot's disk goes
// into the second pool from its "Export disk…" (a standalone image).
import { expect, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { state, testguest, virsh } from './env.ts';
import { login } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

const id = randomBytes(4).toString('hex');
const NAME = `e2e-xfer-${id}`;
const COPY = `e2e-xfer-${id}-copy`;
const SRC_POOL = `e2e-xfer-src-${id}`;
const DST_POOL = `e2e-xfer-dst-${id}`;
let dir = '';
let uuid = '';

function quietly(...args: string[]) {
  try {
    virsh(...args);
  } catch {
    /* already gone */
  }
}

test.beforeAll(() => {
  testguest('create', '--name', NAME);
  uuid = virsh('domuuid', NAME);
  virsh('snapshot-create-as', NAME, 's1');
  virsh('pool-create-as', SRC_POOL, 'dir', '--target', `/var/lib/libvirt/images/kvm-manager-test/vms/${NAME}`);
  dir = mkdtempSync(join(tmpdir(), 'e2e-xfer-'));
  chmodSync(dir, 0o755);
  virsh('pool-create-as', DST_POOL, 'dir', '--target', dir);
});

test.afterAll(() => {
  quietly('undefine', '--snapshots-metadata', COPY);
  quietly('vol-delete', '--pool', DST_POOL, `${COPY}-vdb.qcow2`);
  quietly('vol-delete', '--pool', DST_POOL, `${NAME}-s1-vdb.qcow2`);
  quietly('pool-destroy', DST_POOL);
  quietly('pool-destroy', SRC_POOL);
  quietly('snapshot-delete', NAME, 's1', '--metadata');
  try {
    testguest('remove', '--name', NAME);
  } catch (err) {
    console.warn(`removing ${NAME}:`, err);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a VM is exported from its Snapshots tab and imported under a new name on the Storage page', async ({ page }) => {
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/snapshots`);
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export the VM with its snapshots' }).click();
  await page.getByRole('dialog', { name: /^Export “/ }).getByRole('button', { name: 'Export', exact: true }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^e2e-xfer-.*\.kvmexport\.tar$/);
  const file = join(dir, '..', `${id}.tar`);
  await download.saveAs(file);

  await page.goto(`${state().baseURL}/storage`);
  await page.getByRole('button', { name: `Show volumes of ${DST_POOL}` }).click();
  await page.getByRole('button', { name: 'Import VM' }).click();
  const dialog = page.getByRole('dialog', { name: `Import a VM into “${DST_POOL}”` });
  await dialog.getByLabel('Export file').setInputFiles(file);
  await dialog.getByLabel('New name (optional)').fill(COPY);
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(dialog).toBeHidden({ timeout: 60_000 });
  await expect(page.getByText(`Imported “${COPY}”`)).toBeVisible();
  rmSync(file, { force: true });
  expect(virsh('snapshot-list', COPY, '--name')).toBe('s1');
  expect(virsh('snapshot-current', COPY, '--name')).toBe('s1');
});

test('a snapshot’s disk goes into a pool from its Export disk…', async ({ page }) => {
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/snapshots`);
  await page.getByRole('treeitem', { name: /^s1 / }).click();
  await page.getByRole('button', { name: 'Export disk…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export a disk of “s1”' });
  await dialog.getByLabel('Into a storage pool on the host').check();
  await dialog.getByLabel('Pool', { exact: true }).selectOption(DST_POOL);
  await expect(dialog.getByLabel('New volume name')).toHaveValue(`${NAME}-s1-vdb.qcow2`);
  await dialog.getByRole('button', { name: 'Export into the pool' }).click();
  await expect(page.getByText(`Disk image “${NAME}-s1-vdb.qcow2” written`)).toBeVisible({ timeout: 60_000 });
  expect(virsh('vol-list', DST_POOL)).toContain(`${NAME}-s1-vdb.qcow2`);
});
