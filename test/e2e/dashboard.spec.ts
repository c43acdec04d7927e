import { expect, test } from '@playwright/test';
import { virsh } from './env.ts';
import { card, cardState, login, logSize, shot, vm, waitGuestReady } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

test('cards show the states libvirt holds', async ({ page }) => {
  await login(page);
  await expect(cardState(page, vm(0).name)).toHaveText('Shut off');
  await expect(cardState(page, vm(3).name)).toHaveText('Running');
  await shot(page, 'dashboard-cards');
  await page.getByRole('button', { name: 'Table' }).click();
  await expect(page.getByRole('row', { name: vm(3).name }).getByTestId('vm-state')).toHaveText('Running');
  await shot(page, 'dashboard-table');
  await page.getByRole('button', { name: 'Cards' }).click();
});

test('start, then shut down, from the card', async ({ page }) => {
  const { name } = vm(0);
  await login(page);
  const since = logSize(name);
  await card(page, name).getByRole('button', { name: 'Start' }).click();
  await expect(cardState(page, name)).toHaveText('Running');
  expect(virsh('domstate', name)).toBe('running');
  await waitGuestReady(name, since);

  await card(page, name).getByRole('button', { name: 'Shut down' }).click();
  await expect(cardState(page, name)).toHaveText('Shut off', { timeout: 60_000 });
  expect(virsh('domstate', name)).toBe('shut off');
});

test('force off asks first, then powers off', async ({ page }) => {
  const { name } = vm(3);
  await login(page);
  await expect(cardState(page, name)).toHaveText('Running');
  await card(page, name).getByRole('button', { name: 'Force off' }).click();
  const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog'));
  await expect(dialog).toContainText('unsaved data');
  await shot(page, 'force-off-confirm');
  await dialog.getByRole('button', { name: 'Force off' }).click();
  await expect(cardState(page, name)).toHaveText('Shut off');
  expect(virsh('domstate', name)).toBe('shut off');
});

test('changes made with virsh show up without a reload', async ({ page }) => {
  const { name } = vm(1);
  await login(page);
  await expect(cardState(page, name)).toHaveText('Shut off');
  virsh('start', name);
  await expect(cardState(page, name)).toHaveText('Running');
  virsh('suspend', name);
  await expect(cardState(page, name)).toHaveText('Paused');
  virsh('destroy', name);
  await expect(cardState(page, name)).toHaveText('Shut off');
});

test('search narrows the list', async ({ page }) => {
  await login(page);
  await page.getByLabel('Search VMs').fill(vm(2).name);
  await expect(card(page, vm(2).name)).toBeVisible();
  await expect(card(page, vm(0).name)).toHaveCount(0);
});
