import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { removeLeftoverGuests, state, testguest, virsh } from './env.ts';
import { card, guestOutput, login, logSize, shot, typeInGuest } from './helpers.ts';

// The snapshot manager against a guest of its own: created from the
// dashboard's quick action, listed in the tree and counted on the card,
// a second one with the keyboard, an invalid name refused, a revert that
// really brings the guest's memory back, and a delete with children.
// libvirt (virsh) and the guest's own output are the ground truth.

const NAME = `snapui-e2e-${randomBytes(3).toString('hex')}`;
let uuid = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(() => {
  // Guests of an earlier run that was killed before its afterAll.
  removeLeftoverGuests('snapui-e2e-');
  testguest('create', '--name', NAME, '--start', '--wait');
  uuid = virsh('domuuid', NAME);
});

test.afterAll(() => {
  testguest('remove', '--name', NAME);
});


/** The guest's answer to a command whose output goes to ttyS1. */
async function askGuest(command: string, expected: RegExp): Promise<void> {
  const since = logSize(NAME);
  typeInGuest(NAME, `${command} >/dev/ttyS1\n`);
  await expect.poll(() => guestOutput(NAME, since), { timeout: 30_000, message: `guest output of ${command}` }).toMatch(expected);
}

function snapshotNames(): string[] {
  return virsh('snapshot-list', NAME, '--name')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
}

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function openTab(page: Page) {
  await page.goto(`${state().baseURL}/vms/local/${uuid}/snapshots`);
  await expect(page.getByRole('tree', { name: `Snapshots of ${NAME}` })).toBeVisible();
}

const node = (page: Page, name: string) => page.getByRole('treeitem', { name: new RegExp(`^${name} `) });

test('take a snapshot from the dashboard card, on the dashboard; it is counted on the card and current in the tree', async ({ page }) => {
  test.setTimeout(180_000);
  // A state of the guest's memory that the snapshot keeps.
  typeInGuest(NAME, 'echo v1 >/tmp/ver\n');
  await login(page);
  const c = card(page, NAME);
  await expect(c).toBeVisible({ timeout: 30_000 });
  await expect(c.getByLabel(/^\d+ snapshots?$/)).toHaveCount(0);
  await c.getByRole('button', { name: 'Take snapshot' }).click();

  // The dialog opens over the dashboard.
  const dialog = page.getByRole('dialog', { name: `Take a snapshot of “${NAME}”` });
  await expect(dialog).toBeVisible();
  expect(new URL(page.url()).pathname).toBe('/');
  await expect(dialog.getByText('It will be the first snapshot of this VM.')).toBeVisible();
  // The pre-flight: a running VM can take a snapshot with memory, which is the default.
  await expect(dialog.getByRole('radio', { name: /Memory and disks/ })).toBeChecked();
  await dialog.getByRole('textbox', { name: 'Name' }).fill('before-upgrade');
  await dialog.getByRole('textbox', { name: /Description/ }).fill('Before the kernel upgrade');
  await expect(dialog.getByText('This name can be used.')).toBeVisible();
  await shot(page, 'snapshots-create');
  await dialog.getByRole('button', { name: 'Create snapshot' }).click();
  // A snapshot with memory under TCG takes a few seconds; the dialog shows the operation until it is done.
  await expect(dialog).toBeHidden({ timeout: 120_000 });
  await expect(card(page, NAME).getByLabel('1 snapshot')).toBeVisible({ timeout: 30_000 });
  await openTab(page);

  const first = node(page, 'before-upgrade');
  await expect(first).toContainText('current');
  await expect(first).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('treeitem', { name: /^You are here/ })).toHaveAttribute('aria-level', '2');
  await expect(page.getByRole('heading', { level: 2, name: /before-upgrade/ })).toBeVisible();
  await expect(page.getByText('Before the kernel upgrade')).toBeVisible();
  expect(snapshotNames()).toEqual(['before-upgrade']);
  expect(virsh('snapshot-current', NAME, '--name')).toBe('before-upgrade');
});

test('a second snapshot with the n shortcut becomes the child of the first', async ({ page }) => {
  test.setTimeout(180_000);
  typeInGuest(NAME, 'echo v2 >/tmp/ver\n');
  await login(page);
  await openTab(page);
  // The shortcuts are listed in the overlay.
  await page.keyboard.press('?');
  const overlay = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(overlay.getByRole('heading', { name: 'Snapshots tab' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(overlay).toBeHidden();

  await page.keyboard.press('n');
  const dialog = page.getByRole('dialog', { name: `Take a snapshot of “${NAME}”` });
  await expect(dialog.getByText('It will be created as a child of “before-upgrade”, the current snapshot.', { exact: false })).toBeVisible();
  await dialog.getByRole('textbox', { name: 'Name' }).fill('after-upgrade');
  await dialog.getByRole('textbox', { name: 'Name' }).press('Enter');
  await expect(dialog).toBeHidden({ timeout: 120_000 });
  const second = node(page, 'after-upgrade');
  await expect(second).toContainText('current');
  await expect(second).toHaveAttribute('aria-level', '2');
  await expect(node(page, 'before-upgrade')).not.toContainText('current');
  expect(snapshotNames()).toEqual(['after-upgrade', 'before-upgrade']);
  expect(virsh('snapshot-parent', NAME, 'after-upgrade')).toBe('before-upgrade');
});

test('an invalid name is refused as it is typed, and not sent', async ({ page }) => {
  await login(page);
  await openTab(page);
  await page.getByRole('button', { name: 'New snapshot' }).click();
  const dialog = page.getByRole('dialog');
  const name = dialog.getByRole('textbox', { name: 'Name' });
  await name.fill('bad name!');
  await expect(dialog.getByText('The name contains a space.')).toBeVisible();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.getByText(/1 to 64 characters: letters a–z and A–Z/)).toBeVisible();
  // The contrast check needs the dialog's opening animation ended (spinners run for ever: left alone).
  await page.evaluate(() => Promise.all(document.getAnimations().filter((a) => a.effect?.getComputedTiming().iterations !== Infinity).map((a) => a.finished)));
  expect(await seriousViolations(page), 'create dialog').toEqual([]);
  // The form's schema holds the server's rule: the name goes back to the field, not to the server.
  await dialog.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(name).toBeFocused();
  await expect(dialog.getByText('The name contains a space.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  expect(snapshotNames()).toEqual(['after-upgrade', 'before-upgrade']);
});

test('revert to the first snapshot after a confirmation that states the impact', async ({ page }) => {
  test.setTimeout(180_000);
  await login(page);
  await openTab(page);
  await node(page, 'before-upgrade').click({ button: 'right' });
  await page.getByRole('menuitem', { name: /Revert to this snapshot/ }).click();
  const confirm = page.getByRole('alertdialog', { name: `Revert “${NAME}” to “before-upgrade”?` });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByText(`This will replace the running state of ${NAME} with the state saved on`, { exact: false })).toBeVisible();
  await expect(confirm.getByText('What is lost')).toBeVisible();
  await expect(confirm.getByText(/since .* will be lost: every change made after the state of snapshot "after-upgrade"/)).toBeVisible();
  await expect(confirm.getByRole('radio', { name: /As the snapshot recorded it: running/ })).toBeChecked();
  await shot(page, 'snapshots-revert-confirm');
  await confirm.getByRole('button', { name: 'Revert' }).click();
  await expect(confirm).toBeHidden({ timeout: 120_000 });

  // libvirt's current snapshot changed, and the live state hangs under it now.
  expect(virsh('snapshot-current', NAME, '--name')).toBe('before-upgrade');
  await expect(node(page, 'before-upgrade')).toContainText('current');
  const live = page.getByRole('treeitem', { name: /^You are here/ });
  await expect(live).toHaveAttribute('aria-level', '2');
  await expect(node(page, 'after-upgrade')).toHaveAttribute('aria-level', '2');
  // The guest runs on from the memory saved with the first snapshot.
  await askGuest('echo VER=$(cat /tmp/ver)', /VER=v1\b/);

  // A configuration change after the snapshot shows in its diff.
  virsh('setmaxmem', NAME, '262144', '--config');
  virsh('setmem', NAME, '262144', '--config');
  await page.reload();
  await node(page, 'before-upgrade').click();
  await expect(page.getByText('memory: 192 MiB → 256 MiB')).toBeVisible();
  await expect(page.getByRole('img', { name: `The console of ${NAME} when snapshot before-upgrade was taken` })).toBeVisible();
  await shot(page, 'snapshots-tree');
  expect(await seriousViolations(page), 'snapshots tab').toEqual([]);
  await page.getByRole('heading', { name: /Configuration then and now/ }).scrollIntoViewIfNeeded();
  await shot(page, 'snapshots-details');
});

test('delete the first snapshot with its children', async ({ page }) => {
  test.setTimeout(180_000);
  await login(page);
  await openTab(page);
  await node(page, 'before-upgrade').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Delete with children…' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Delete “before-upgrade” and its descendants?' });
  await expect(confirm.getByRole('radio', { name: '“before-upgrade” and its 1 descendant' })).toBeChecked();
  await expect(confirm.getByText('Deleted: 2 snapshots — “before-upgrade” and “after-upgrade”.')).toBeVisible();
  await expect(confirm.getByText('The current snapshot is deleted: the VM then has no current snapshot.')).toBeVisible();
  await confirm.getByRole('button', { name: 'Delete 2 snapshots' }).click();
  await expect(confirm).toBeHidden({ timeout: 120_000 });

  expect(snapshotNames()).toEqual([]);
  await expect(page.getByRole('tree', { name: `Snapshots of ${NAME}` }).getByRole('treeitem')).toHaveCount(1);
  await expect(page.getByRole('treeitem', { name: /^You are here/ })).toHaveAttribute('aria-level', '1');
  await expect(page.getByText(/^No snapshots yet\./)).toBeVisible();
  await page.getByRole('link', { name: 'All VMs' }).click();
  await expect(card(page, NAME)).toBeVisible();
  await expect(card(page, NAME).getByLabel(/^\d+ snapshots?$/)).toHaveCount(0);
});
