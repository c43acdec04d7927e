// The UI kit (issue 13, front-end shape item 3, and the copy): an info tip
// opens from the keyboard and closes back to its button; a form checks its
// schema and shows the error in the field, under the input, without
// sending; axe stays clean with both open. Against the real server and a
// stopped test guest of its own.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { removeLeftoverGuests, state, testguest, virsh } from './env.ts';
import { login } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

const GUEST = `kit-e2e-${randomBytes(3).toString('hex')}`;
let uuid = '';

test.beforeAll(() => {
  removeLeftoverGuests('kit-e2e-');
  testguest('create', '--name', GUEST);
  uuid = virsh('domuuid', GUEST);
});

test.afterAll(() => {
  testguest('remove', '--name', GUEST);
});

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('an info tip opens with the keyboard, says more, and closes back to its button', async ({ page }) => {
  await login(page);
  await page.goto(`${state().baseURL}/settings`);
  // The fact in a few words on the page; the explanation behind the tip.
  await expect(page.getByText('Lower both over slow links; open consoles follow at once.')).toBeVisible();
  await expect(page.getByText(/JPEG quality/)).toHaveCount(0);

  await page.getByRole('combobox', { name: 'Compression', exact: true }).focus();
  await page.keyboard.press('Tab');
  const tip = page.getByRole('button', { name: 'About quality and compression' });
  await expect(tip).toBeFocused();
  await page.keyboard.press('Enter');
  const pop = page.getByRole('dialog', { name: 'About quality and compression' });
  await expect(pop).toBeVisible();
  await expect(pop).toContainText('Quality is the JPEG quality the VNC server uses for photo-like areas.');
  await expect(tip).toHaveAttribute('aria-expanded', 'true');
  expect(await seriousViolations(page), 'settings with an info tip open').toEqual([]);

  await page.keyboard.press('Escape');
  await expect(pop).toBeHidden();
  await expect(tip).toBeFocused();
});

test('a form shows its validation error in the field and does not send', async ({ page }) => {
  await login(page);
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/snapshots')) posts.push(r.url());
  });
  await page.goto(`${state().baseURL}/vms/local/${uuid}/snapshots`);
  await page.getByRole('button', { name: 'New snapshot' }).click();
  const dialog = page.getByRole('dialog', { name: `Take a snapshot of “${GUEST}”` });
  const name = dialog.getByRole('textbox', { name: 'Name' });
  await expect(name).toBeFocused();
  await name.fill('bad name!');
  // Under the input, read with it (aria-describedby), and the rule that says what to do.
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(name).toHaveAccessibleDescription(/The name contains a space\..*Names: 1 to 64 characters/);
  await dialog.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(name).toBeFocused();
  await expect(dialog.getByText('The name contains a space.')).toBeVisible();
  await dialog.evaluate((el) => el.getAnimations().forEach((a) => a.finish()));
  expect(await seriousViolations(page), 'create dialog with an error').toEqual([]);

  await name.fill('fine-name');
  await expect(name).not.toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.getByText('This name can be used.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  // The focus goes back to the button that opened the dialog.
  await expect(page.getByRole('button', { name: 'New snapshot' })).toBeFocused();
  expect(posts).toEqual([]);
  expect(virsh('snapshot-list', GUEST, '--name').trim()).toBe('');
});
