import { expect, test } from '@playwright/test';
import { state } from './env.ts';
import { card, loginWithForm, shot, showTokenField, vm } from './helpers.ts';

test('a wrong token is refused with the server message', async ({ page }) => {
  await page.goto(`${state().baseURL}/login`);
  await showTokenField(page);
  await page.getByLabel('Access token').fill('not-the-token-not-the-token');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('not valid');
  await shot(page, 'login-error');
});

test('logging in with the form shows every VM', async ({ page }) => {
  await loginWithForm(page);
  for (let i = 0; i < 4; i++) {
    await expect(card(page, vm(i).name)).toBeVisible();
  }
});

test('the printed login URL logs in and leaves the token out of the address bar', async ({ page }) => {
  const s = state();
  await page.goto(`${s.baseURL}/login?token=${s.token}`);
  await expect(card(page, vm(0).name)).toBeVisible();
  expect(page.url()).not.toContain(s.token);
});

test('a wrong login URL says so', async ({ page }) => {
  await page.goto(`${state().baseURL}/login?token=wrong-wrong-wrong-wrong`);
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByLabel('Access token')).toBeVisible();
});

test('a deep link to a VM opens that VM after login', async ({ page }) => {
  const s = state();
  const target = vm(1);
  await page.goto(`${s.baseURL}/vms/local/${target.uuid}`);
  await showTokenField(page);
  await page.getByLabel('Access token').fill(s.token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: target.name })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe(`/vms/local/${target.uuid}`);
});

test('logging out ends the session on the server', async ({ page }) => {
  // A session of its own: the saved one that other specs reuse stays.
  await loginWithForm(page);
  const logout = page.getByRole('button', { name: 'Log out' });
  if (!(await logout.isVisible())) {
    await page.getByRole('button', { name: /account|user|menu/i }).first().click();
  }
  await page.getByRole('button', { name: 'Log out' }).or(page.getByRole('menuitem', { name: 'Log out' })).first().click();
  await expect(page.getByLabel('Access token')).toBeVisible();
  const res = await page.request.get(`${state().baseURL}/api/v1/vms`);
  expect(res.status()).toBe(401);
});
