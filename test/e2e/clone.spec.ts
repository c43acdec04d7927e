// Clones and templates in the UI (issue 16): a shut-off test guest of the
// spec's own (its directory made a storage pool, so that its disk is a pool
// volume) is cloned through the VM page's Clone dialog and the clone started;
// the clone boots (its readiness line in the serial log), writes its disk from
// inside the guest, and the original stays shut off with its disk and its
// definition unchanged (the test guest has no NIC: new MACs are checked by
// the integration test). Then the original is made a template: its power actions
// disappear, it is marked as such, and it offers "New VM from template".
// virsh is the ground truth; everything the spec made is removed afterwards.
import { expect, test } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { state, testguest, virsh } from './env.ts';
import { guestOutput, login, logSize, shot, typeInGuest, waitGuestReady } from './helpers.ts';

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';
const run = randomBytes(3).toString('hex');
const source = `e2e-${run}-clonesrc`;
const cloneName = `e2e-${run}-clone`;
const linkedName = `e2e-${run}-linked`;
const pool = `e2e-clonepool-${run}`;
const dir = join(guestDir, 'vms', source);
const disk = join(dir, 'data.qcow2');

function quiet(...args: string[]): void {
  try {
    virsh(...args);
  } catch {
    // already gone
  }
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test.beforeAll(() => {
  testguest('create', '--dir', guestDir, '--name', source);
  virsh('pool-define-as', pool, 'dir', '--target', dir);
  virsh('pool-start', pool);
});

test.afterAll(() => {
  // Only what this spec made, by its unique names.
  for (const name of [cloneName, linkedName]) {
    if (virsh('list', '--all', '--name').split('\n').includes(name)) {
      quiet('destroy', name);
      quiet('undefine', name, '--nvram');
    }
    quiet('vol-delete', '--pool', pool, `${name}.qcow2`);
  }
  quiet('pool-destroy', pool);
  quiet('pool-undefine', pool);
  try {
    testguest('remove', '--dir', guestDir, '--name', source);
  } catch (err) {
    console.warn(`removing ${source}:`, err);
  }
});

test('a shut-off VM is cloned in the UI, the clone boots, and the original is made a template', async ({ page }) => {
  test.setTimeout(240_000);
  const uuid = virsh('domuuid', source);
  const xmlBefore = virsh('dumpxml', source);
  const hashBefore = sha(disk);
  const since = logSize(source); // the clone keeps the original's serial log file

  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}`);
  await expect(page.getByRole('heading', { level: 1, name: source })).toBeVisible();
  await page.getByRole('button', { name: 'Clone', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Clone “${source}”` });
  await dialog.getByLabel('Name').fill(cloneName);
  await expect(dialog.getByRole('radio', { name: /Full copy/ })).toBeChecked();
  await dialog.getByLabel('Start it once made').check();
  await shot(page, 'clone-dialog');
  await dialog.getByRole('button', { name: 'Clone', exact: true }).click();

  // The clone's page opens; the clone runs and boots.
  await expect(page.getByRole('heading', { level: 1, name: cloneName })).toBeVisible({ timeout: 120_000 });
  await expect.poll(() => virsh('domstate', cloneName), { timeout: 60_000 }).toBe('running');
  await waitGuestReady(source, since);
  // Inside the clone: write its disk, then say so on ttyS1.
  typeInGuest(cloneName, 'dd if=/dev/urandom of=/dev/vdb count=64;echo W$((6*7))>/dev/ttyS1\n');
  await expect.poll(() => guestOutput(source, since).includes('W42'), { timeout: 60_000, message: 'the clone never wrote its disk' }).toBe(true);

  // The clone is new; the original is as it was.
  const cloneXML = virsh('dumpxml', cloneName);
  expect(cloneXML).toContain(`${cloneName}.qcow2`);
  expect(cloneXML).not.toContain(disk);
  expect(virsh('domuuid', cloneName)).not.toBe(uuid);
  expect(virsh('domstate', source)).toBe('shut off');
  expect(virsh('dumpxml', source)).toBe(xmlBefore);
  expect(sha(disk)).toBe(hashBefore);

  // The original becomes a template: marked, no power actions, "New VM from template".
  await page.goto(`${state().baseURL}/vms/local/${uuid}`);
  const actions = page.getByRole('group', { name: 'Power actions' });
  await expect(actions.getByRole('button', { name: 'Start' })).toBeVisible();
  await page.getByRole('button', { name: 'Make template' }).click();
  await expect(page.getByRole('button', { name: 'New VM from template' })).toBeVisible();
  await expect(page.locator('.details-title').getByText('Template', { exact: true })).toBeVisible();
  await expect(actions.getByRole('button', { name: 'Start' })).toHaveCount(0);
  expect(virsh('dumpxml', source)).toContain('template="true"');
  await page.getByRole('button', { name: 'New VM from template' }).click();
  const fromTemplate = page.getByRole('dialog', { name: `New VM from template “${source}”` });
  await expect(fromTemplate.getByRole('radio', { name: /Linked clone/ })).toBeChecked();
  await shot(page, 'template-new-vm');
  await fromTemplate.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Unmark template' }).click();
  await expect(page.getByRole('button', { name: 'Make template' })).toBeVisible();
});

test('the delete dialog lists the linked clones and keeps the images they back onto', async ({ page }) => {
  const s = state();
  const auth = { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' };
  const uuid = virsh('domuuid', source);
  // A linked clone made through the API (the dialog's flow is the test above).
  const res = await fetch(`${s.baseURL}/api/v1/hosts/local/vms/${uuid}/clone`, { method: 'POST', headers: auth, body: JSON.stringify({ name: linkedName, linked: true }) });
  expect(res.status).toBe(202);
  const op = (await res.json()) as { id: string };
  await expect
    .poll(async () => ((await (await fetch(`${s.baseURL}/api/v1/operations/${op.id}`, { headers: auth })).json()) as { state: string }).state, { timeout: 60_000 })
    .toBe('succeeded');

  await login(page);
  await page.goto(`${s.baseURL}/vms/local/${uuid}`);
  await page.getByRole('button', { name: /Delete/ }).first().click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByText('Linked clones', { exact: true })).toBeVisible();
  await expect(dialog.getByText(linkedName, { exact: true })).toBeVisible();
  const box = dialog.getByRole('checkbox', { name: /vdb/ });
  await expect(box).toBeDisabled();
  await expect(dialog.getByText(new RegExp(`linked clone ${linkedName} backs onto it`))).toBeVisible();
  await shot(page, 'delete-dialog-linked-clones');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(virsh('domstate', source)).toBe('shut off');
});
