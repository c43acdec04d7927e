// The Storage page: a directory pool of the spec's own (in a temporary
// folder it makes and removes) is created, a file uploaded into it and
// listed with its size, a volume created, resized and cloned, then the
// volumes and the pool deleted, each change checked against virsh. Axe
// checks the page; screenshots for the user guide are taken on the way.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { state, testguest, virsh } from './env.ts';
import { login, shot } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

const pool = `e2e-pool-${randomBytes(4).toString('hex')}`;
let dir = '';

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-storage-'));
  chmodSync(dir, 0o755);
});

test.afterAll(() => {
  // Only this spec's pool, by its unique name; it may be gone already.
  if (virsh('pool-list', '--all', '--name').split('\n').includes(pool)) removePool();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function removePool() {
  try {
    for (const line of virsh('vol-list', '--pool', pool).split('\n').slice(2)) {
      const name = line.trim().split(/\s+/)[0];
      if (name) virsh('vol-delete', '--pool', pool, name);
    }
  } catch {
    /* no such pool */
  }
  try {
    virsh('pool-destroy', pool);
  } catch {
    /* not running */
  }
  try {
    virsh('pool-undefine', pool);
  } catch {
    /* not defined */
  }
}

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** virsh vol-info's capacity in bytes. */
function capacity(vol: string): number {
  const m = /Capacity:\s+(\d+)/.exec(virsh('vol-info', '--pool', pool, '--bytes', vol));
  return m ? Number(m[1]) : -1;
}

const volumeRow = (page: Page, name: string) =>
  page.getByRole('region', { name: `Volumes in “${pool}”` }).getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

test('a pool is created, a file uploaded and listed with its size, a volume resized and cloned, and all deleted', async ({ page }) => {
  await login(page);
  await page.goto(`${state().baseURL}/storage`);
  await expect(page.getByRole('heading', { level: 1, name: 'Storage' })).toBeVisible();

  // New pool.
  await page.getByRole('button', { name: 'New pool' }).click();
  const poolDialog = page.getByRole('dialog', { name: 'New directory pool' });
  await poolDialog.getByLabel('Name').fill(pool);
  await poolDialog.getByLabel('Directory on the host').fill(join(dir, 'pool'));
  await poolDialog.getByRole('button', { name: 'Create pool' }).click();
  await expect(poolDialog).toBeHidden();
  await expect(page.getByRole('button', { name: `Show volumes of ${pool}` })).toBeVisible();
  expect(virsh('pool-info', pool)).toMatch(/State:\s+running/);
  await page.getByRole('button', { name: `Show volumes of ${pool}` }).click();
  await expect(page.getByRole('meter', { name: new RegExp(`^${pool}: \\d+ % used$`) })).toBeVisible();
  const vols = page.getByRole('region', { name: `Volumes in “${pool}”` });
  await expect(vols.getByText('No volumes')).toBeVisible();

  // Upload a 3 MiB file.
  const data = randomBytes(3 << 20);
  await vols.getByRole('button', { name: 'Upload' }).click();
  const up = page.getByRole('dialog', { name: `Upload to “${pool}”` });
  await up.getByLabel('File').setInputFiles({ name: 'small.iso', mimeType: 'application/octet-stream', buffer: data });
  await expect(up.getByLabel('Volume name')).toHaveValue('small.iso');
  // Every value the progress bar and its words show, recorded in the page
  // (the dialog closes as soon as the upload is done).
  await page.evaluate(() => {
    const seen: { values: number[]; words: string[] } = { values: [], words: [] };
    (window as unknown as { uploadSeen: typeof seen }).uploadSeen = seen;
    const look = () => {
      const bar = document.querySelector<HTMLProgressElement>('progress[aria-label="Upload progress"]');
      if (bar && seen.values.at(-1) !== bar.value) seen.values.push(bar.value);
      const words = bar?.parentElement?.querySelector('[role="status"]')?.textContent;
      if (words && seen.words.at(-1) !== words) seen.words.push(words);
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await up.getByRole('button', { name: 'Upload' }).click();
  await expect(up).toBeHidden();
  const seen = await page.evaluate(() => (window as unknown as { uploadSeen: { values: number[]; words: string[] } }).uploadSeen);
  expect(Math.max(...seen.values), `progress values ${JSON.stringify(seen.values)}`).toBe(100);
  expect(seen.words).toContain('100 % · 3 MiB of 3 MiB');
  expect(seen.values).toEqual([...seen.values].sort((a, b) => a - b)); // never backwards
  await expect(volumeRow(page, 'small.iso')).toContainText('3 MiB');
  expect(capacity('small.iso')).toBe(3 << 20);

  // A new volume, resized.
  await vols.getByRole('button', { name: 'New volume' }).click();
  const nv = page.getByRole('dialog', { name: `New volume in “${pool}”` });
  await nv.getByLabel('Name').fill('disk.qcow2');
  await nv.getByLabel('Size').fill('12 GB');
  await expect(nv.getByText('Use binary units')).toBeVisible();
  await expect(nv.getByRole('button', { name: 'Create volume' })).toBeDisabled();
  await nv.getByLabel('Size').fill('64MiB');
  await nv.getByRole('button', { name: 'Create volume' }).click();
  await expect(nv).toBeHidden();
  await expect(volumeRow(page, 'disk.qcow2')).toContainText('64 MiB');
  await shot(page, 'storage');

  await page.getByRole('button', { name: 'Resize disk.qcow2' }).click();
  const rs = page.getByRole('dialog', { name: 'Resize “disk.qcow2”' });
  await rs.getByLabel('New size').fill('32MiB');
  await rs.getByRole('button', { name: 'Resize' }).click();
  await expect(rs.getByRole('alert')).toContainText('only grows');
  await rs.getByLabel('New size').fill('96MiB');
  await shot(page, 'storage-resize');
  await rs.getByRole('button', { name: 'Resize' }).click();
  await expect(rs).toBeHidden();
  await expect(volumeRow(page, 'disk.qcow2')).toContainText('96 MiB');
  expect(capacity('disk.qcow2')).toBe(96 << 20);

  // Clone.
  await page.getByRole('button', { name: 'Clone disk.qcow2' }).click();
  const cl = page.getByRole('dialog', { name: 'Clone “disk.qcow2”' });
  await expect(cl.getByLabel('Name of the copy')).toHaveValue('copy-of-disk.qcow2');
  await cl.getByRole('button', { name: 'Clone' }).click();
  await expect(cl).toBeHidden();
  await expect(volumeRow(page, 'copy-of-disk.qcow2')).toContainText('96 MiB');
  expect(capacity('copy-of-disk.qcow2')).toBe(96 << 20);

  expect(await seriousViolations(page)).toEqual([]);

  // Delete the volumes, then the pool.
  for (const name of ['small.iso', 'disk.qcow2', 'copy-of-disk.qcow2']) {
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete volume' }).click();
    await expect(volumeRow(page, name)).toHaveCount(0);
  }
  expect(virsh('vol-list', '--pool', pool)).not.toMatch(/small\.iso|disk\.qcow2/);
  await page.getByRole('button', { name: `Delete pool ${pool}` }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete pool' }).click();
  await expect(page.getByRole('button', { name: `Show volumes of ${pool}` })).toHaveCount(0);
  expect(virsh('pool-list', '--all', '--name').split('\n')).not.toContain(pool);
});

test('a VM\'s CD-ROM drive takes an ISO from a pool and ejects it, in the stored definition', async ({ page }) => {
  test.setTimeout(180_000);
  const run = randomBytes(3).toString('hex');
  const vmName = `e2e-st-${run}-cd`;
  const isoPool = `e2e-isos-${run}`;
  const isoDir = join(dir, 'isos');
  testguest('create', '--name', vmName);
  try {
    virsh('attach-disk', vmName, '--source', '', '--target', 'hdc', '--type', 'cdrom', '--targetbus', 'ide', '--mode', 'readonly', '--config');
    // attach-disk --config sends libvirt no event: define the definition
    // again, which does, so that the server re-reads the VM.
    const def = join(dir, `${vmName}.xml`);
    writeFileSync(def, virsh('dumpxml', '--inactive', vmName));
    virsh('define', def);
    virsh('pool-create-as', isoPool, 'dir', '--target', isoDir, '--build');
    virsh('vol-create-as', isoPool, 'media.iso', '1M', '--format', 'raw');
    const iso = join(isoDir, 'media.iso');
    const uuid = virsh('domuuid', vmName);
    await login(page);
    await page.goto(`${state().baseURL}/vms/local/${uuid}`);
    const cd = page.getByRole('region', { name: 'CD-ROM' });
    await expect(cd).toContainText('hdc: empty');
    await cd.getByRole('button', { name: 'Insert…' }).click();
    await cd.getByLabel('Pool').selectOption(isoPool);
    await cd.getByLabel('Image').selectOption('media.iso');
    await cd.getByRole('button', { name: 'Insert', exact: true }).click();
    await expect(cd.getByRole('button', { name: 'Eject' })).toBeVisible();
    await expect(cd).toContainText('media.iso');
    expect(virsh('dumpxml', '--inactive', vmName)).toContain(iso);
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'storage-cdrom');
    await cd.getByRole('button', { name: 'Eject' }).click();
    await expect(cd).toContainText('hdc: empty');
    expect(virsh('dumpxml', '--inactive', vmName)).not.toContain(iso);
  } finally {
    testguest('remove', '--name', vmName);
    try {
      virsh('vol-delete', '--pool', isoPool, 'media.iso');
      virsh('pool-destroy', isoPool);
    } catch {
      /* not made */
    }
  }
});
