// The SPICE console in the browser (spice-html5 through KVM Manager's SPICE
// proxy) against a real SPICE-only guest with a SPICE password: keys typed
// into its screen run in the guest (read back from its ttyS1 log), and the
// toolbar offers what applies to SPICE.

import { expect, test, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { state, testguest, virsh } from './env.ts';
import { login, logSize, shot, waitGuestReady } from './helpers.ts';

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';
const S = `e2e-spice-${randomBytes(3).toString('hex')}`;
let uuid = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  testguest('create', '--name', S, '--no-vnc', '--spice', '--spice-password', 'e2epw', '--videos', '2', '--head-vnc', '--start');
  uuid = virsh('domuuid', S);
  await waitGuestReady(S, 0);
});

test.afterAll(() => {
  testguest('remove', '--name', S);
});

/** The US keys of the shifted characters the test types. */
const SHIFTED: Record<string, string> = { $: 'Digit4', '(': 'Digit9', ')': 'Digit0', '*': 'Digit8', '>': 'Period' };

/**
 * Types text the way a keyboard does, Shift pressed for capitals and
 * symbols: spice-html5 sends key positions (scancodes), so a '$' with no
 * Shift held (as page.keyboard.type sends it) reaches the guest as '4'.
 */
async function typeKeys(page: Page, text: string) {
  for (const c of text) {
    const shifted = SHIFTED[c] ?? (c >= 'A' && c <= 'Z' ? `Key${c}` : undefined);
    if (shifted) await page.keyboard.press(`Shift+${shifted}`, { delay: 20 });
    else await page.keyboard.press(c === ' ' ? 'Space' : c, { delay: 20 });
  }
}

function ttyS1(offset: number): string {
  const p = join(guestDir, 'vms', S, 'ttyS1.log');
  return existsSync(p) ? readFileSync(p).subarray(offset).toString() : '';
}

test('keys typed into the SPICE console run in the guest', async ({ page }) => {
  test.setTimeout(120_000);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/console`);
  await expect(page.getByRole('heading', { level: 1, name: S })).toBeVisible();
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  await expect(page.getByTestId('console-resolution')).toHaveText(/^\d+×\d+$/, { timeout: 30_000 });
  const canvas = page.getByRole('application', { name: `Screen of ${S}` }).locator('canvas');
  await canvas.click();
  const since = logSize(S);
  // $ ( * ) > and capitals need Shift on the guest's (US) keyboard.
  await typeKeys(page, 'echo SPICE$((6*7))X > /dev/ttyS1');
  await page.keyboard.press('Enter');
  await expect.poll(() => ttyS1(since), { timeout: 30_000, message: 'the guest did not run the typed command' }).toContain('SPICE42X');
  // The toolbar: send keys, screenshot, full screen, and the .vv file for remote-viewer.
  await expect(page.getByRole('button', { name: 'Send keys' })).toBeEnabled();
  await expect(page.getByRole('link', { name: '.vv file' })).toHaveAttribute('href', new RegExp(`/vms/${uuid}/console\\.vv$`));
  await shot(page, 'console-spice');
});

test('the display selector opens the second display head over its own VNC server', async ({ page }) => {
  test.setTimeout(90_000);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/console`);
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  const menu = page.getByTestId('display-menu');
  await expect(menu).toHaveText(/Display 1 of 2/);
  await menu.click();
  await page.getByRole('menuitem', { name: /Display 2 · video1/ }).click();
  await expect(page).toHaveURL(/\?display=1$/);
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  await expect(page.getByTestId('display-menu')).toHaveText(/Display 2 of 2/);
  await shot(page, 'console-displays');
});
