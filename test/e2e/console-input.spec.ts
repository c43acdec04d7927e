// The console's keyboard and pointer settings against a real libvirt: a VM
// without a USB tablet is recognised from its definition and the toolbar
// says so; "Add USB tablet" and the VNC keymap change the stored definition
// (read back with virsh). The VM is not started: the toolbar reads the
// definition, so no boot is needed. Pointer lock itself is not checked here
// (headless Chromium grants no pointer lock without a real user gesture);
// its motion arithmetic is a Vitest test (pointerLock.test.ts).

import { expect, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { state, testguest, virsh } from './env.ts';
import { login } from './helpers.ts';

const NAME = `e2e-input-${randomBytes(3).toString('hex')}`;
let uuid = '';

test.beforeAll(() => {
  testguest('create', '--name', NAME);
  uuid = virsh('domuuid', NAME);
});

test.afterAll(() => {
  try {
    testguest('remove', '--name', NAME);
  } catch (err) {
    console.warn(`removing ${NAME}:`, err);
  }
});

test('a VM without a USB tablet is detected; Add USB tablet and the VNC keymap change its definition', async ({ page }) => {
  expect(virsh('dumpxml', '--inactive', NAME)).not.toContain("type='tablet'");
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/console`);
  await expect(page.getByRole('heading', { level: 1, name: NAME })).toBeVisible();
  const toolbar = page.getByRole('toolbar', { name: 'Console tools' });
  const pointer = toolbar.getByRole('button', { name: 'Pointer: relative (no USB tablet)' });
  await expect(pointer).toBeVisible({ timeout: 30_000 });
  await pointer.click();
  const pop = page.getByRole('dialog', { name: 'Pointer and keyboard' });
  await expect(pop.getByRole('status')).toContainText('no absolute pointer');
  await pop.getByRole('button', { name: 'Add USB tablet' }).click();
  await expect(page.getByText(/A USB tablet was added to the VM.s definition/)).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => virsh('dumpxml', '--inactive', NAME), { timeout: 30_000 }).toMatch(/<input type='tablet' bus='usb'/);
  // Read again from the definition: the toolbar no longer warns.
  await expect(toolbar.getByRole('button', { name: 'Pointer and keyboard' })).toBeVisible({ timeout: 30_000 });

  await page.keyboard.press('Escape');
  await toolbar.getByRole('button', { name: 'Pointer and keyboard' }).click();
  await pop.getByLabel('VNC keymap').selectOption('de');
  await pop.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('The VNC keymap was set to de')).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => virsh('dumpxml', '--inactive', NAME), { timeout: 30_000 }).toMatch(/<graphics type='vnc'[^>]*keymap='de'/);
});
