import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { state } from './env.ts';
import { card, login, shot, vm } from './helpers.ts';

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('the VM details page shows its configuration and live graphs', async ({ page }) => {
  const target = vm(2);
  await login(page);
  await card(page, target.name).getByRole('link', { name: target.name }).click();
  await expect(page.getByRole('heading', { level: 1, name: target.name })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe(`/vms/local/${target.uuid}`);
  for (const tab of ['Overview', 'Console', 'Serial', 'Snapshots']) {
    await expect(page.getByRole('tab', { name: tab })).toBeVisible();
  }
  // The data disk as libvirt holds it: target vdb, qcow2, 64 MiB.
  await expect(page.getByText('vdb').first()).toBeVisible();
  await expect(page.getByText('qcow2').first()).toBeVisible();
  await expect(page.getByText(/64(\.0)? MiB/).first()).toBeVisible();
  await shot(page, 'vm-details');
});

test('the delete dialog lists the disks unchecked and says what is removed', async ({ page }) => {
  const target = vm(2);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${target.uuid}`);
  await page.getByRole('button', { name: /Delete/ }).first().click();
  const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog'));
  await expect(dialog).toBeVisible();
  const box = dialog.getByRole('checkbox', { name: /vdb/ });
  await expect(box).not.toBeChecked();
  await shot(page, 'delete-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { level: 1, name: target.name })).toBeVisible();
});

test('the shortcut overlay opens with ?', async ({ page }) => {
  await login(page);
  // Wait until the dashboard has rendered (and its shortcuts are bound)
  // before pressing the key: a key pressed while the page is still
  // switching from the login form can land nowhere.
  await expect(card(page, vm(0).name)).toBeVisible();
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog')).toBeVisible();
  await shot(page, 'shortcuts');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
});

test('no serious or critical accessibility violations', async ({ page }) => {
  await login(page);
  expect(await seriousViolations(page), 'dashboard').toEqual([]);
  await page.goto(`${state().baseURL}/vms/local/${vm(2).uuid}`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  expect(await seriousViolations(page), 'details').toEqual([]);
  await page.goto(`${state().baseURL}/settings`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await shot(page, 'settings');
  expect(await seriousViolations(page), 'settings').toEqual([]);
  await page.goto(`${state().baseURL}/login`);
  expect(await seriousViolations(page), 'login').toEqual([]);
});
