// Details a new user trips over (issue 13): the skip link, requests during
// snapshot work, console warnings. Against the real server, libvirt and
// test guests.

import { expect, test } from '@playwright/test';
import { state } from './env.ts';
import { login } from './helpers.ts';
import { colours } from './pixels.ts';

test.describe.configure({ mode: 'serial' });

test('the skip link is out of sight, shadow included, until Tab reaches it', async ({ page }) => {
  await login(page);
  await page.goto(`${state().baseURL}/`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).not.toBeFocused();
  const style = await skip.evaluate((el) => {
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return { shadow: cs.boxShadow, clip: cs.clipPath, bottom: r.bottom };
  });
  expect(style.shadow, 'box-shadow while not focused').toBe('none');
  expect(style.bottom, 'bottom edge while not focused').toBeLessThanOrEqual(0);
  // What the screen shows at the top left: the header's background only (the shadow drew a grey gradient there).
  const header = await page.locator('header').first().evaluate((el) => getComputedStyle(el).backgroundColor.replace(/\s/g, ''));
  const corner = await page.screenshot({ clip: { x: 0, y: 0, width: 12, height: 48 } });
  expect(await colours(page, corner), 'colours at the top left').toEqual([header]);

  await page.locator('body').focus();
  await page.keyboard.press('Tab');
  await expect(skip).toBeFocused();
  const box = await skip.boundingBox();
  expect(box?.y ?? -1, 'top edge when focused').toBeGreaterThanOrEqual(0);
  expect(box?.height ?? 0).toBeGreaterThan(10);
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
});
