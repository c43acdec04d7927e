// The graphical console (noVNC) against real guests: keys typed into the
// canvas really run in the guest (read back from its ttyS1 log), Ctrl+Alt+Del
// reaches it, screenshots are its screen, full screen, reconnecting after the
// VM's QEMU was killed and started again, two consoles at once, the fix for a
// VM without VNC, and the dashboard's thumbnails.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { saveState, startServer, state, testguest, virsh } from './env.ts';
import { card, login, logSize, shot, typeInGuest, waitGuestReady } from './helpers.ts';

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';
const run = randomBytes(3).toString('hex');
const A = `e2e-con-${run}-a`;
const B = `e2e-con-${run}-b`;
const NOVNC = `e2e-con-${run}-novnc`;
const uuids: Record<string, string> = {};

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  // Both boot at once; the machine may be busy, so wait generously.
  testguest('create', '--name', A, '--start');
  testguest('create', '--name', B, '--start');
  testguest('create', '--name', NOVNC, '--no-vnc');
  for (const n of [A, B, NOVNC]) uuids[n] = virsh('domuuid', n);
  await Promise.all([waitGuestReady(A, 0), waitGuestReady(B, 0)]);
});

test.afterAll(() => {
  for (const n of [A, B, NOVNC]) {
    try {
      testguest('remove', '--name', n);
    } catch (err) {
      console.warn(`removing ${n}:`, err);
    }
  }
});

/** What the guest wrote to ttyS1 after offset. */
function ttyS1(name: string, offset: number): string {
  const p = join(guestDir, 'vms', name, 'ttyS1.log');
  return existsSync(p) ? readFileSync(p).subarray(offset).toString() : '';
}

async function openConsole(page: Page, name: string, popout = false) {
  const path = popout ? `/popout/console/local/${uuids[name]}` : `/vms/local/${uuids[name]}/console`;
  await page.goto(`${state().baseURL}${path}`);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  return page.getByRole('application', { name: `Screen of ${name}` });
}

/** Types a command into the focused console and waits until the guest wrote marker to ttyS1. */
async function runInGuest(page: Page, name: string, command: string, marker: string) {
  const since = logSize(name);
  await page.keyboard.type(command, { delay: 30 });
  await page.keyboard.press('Enter');
  await expect.poll(() => ttyS1(name, since), { timeout: 30_000, message: `guest ${name} did not run: ${command}` }).toContain(marker);
}

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(b: Buffer): { width: number; height: number } {
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

test('keys typed into the console run in the guest, shifted characters included', async ({ page }) => {
  test.setTimeout(180_000);
  await login(page);
  const screen = await openConsole(page, A);
  await expect(page.getByTestId('console-resolution')).toHaveText(/^\d+×\d+$/);
  await screen.click();
  // $ ( * ) > and capitals need Shift on the guest's (US) keyboard.
  await runInGuest(page, A, 'echo VNC$((6*7))X > /dev/ttyS1', 'VNC42X');
  await expect(page.getByTestId('console-rtt')).toHaveText(/\d+ ms|\d\.\d s/, { timeout: 15_000 });
  await shot(page, 'console');
  expect(await seriousViolations(page), 'console page').toEqual([]);

  // "Type text" types through noVNC's sendKey, Shift included.
  await page.getByRole('button', { name: 'Type text' }).click();
  const dialog = page.getByRole('dialog', { name: 'Type text into the VM' });
  await dialog.getByLabel('Text to type').fill('echo TT$((2+3))Y:{ok} > /dev/ttyS1\n');
  const since = logSize(A);
  await dialog.getByRole('button', { name: 'Type it' }).click();
  await expect(dialog).toHaveCount(0);
  await expect.poll(() => ttyS1(A, since), { timeout: 30_000 }).toContain('TT5Y:{ok}');
});

test('the toolbar sends keys, takes screenshots and goes full screen', async ({ page }) => {
  test.setTimeout(180_000);
  await login(page);
  const screen = await openConsole(page, A);
  await screen.click();
  await runInGuest(page, A, 'echo SHOT$((1+1)) > /dev/ttyS1', 'SHOT2');

  // Screenshot of what the console shows, as a download, compared with libvirt's capture of the guest's screen.
  await page.getByRole('button', { name: 'Screenshot' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: /Download PNG/ }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${A}-\\d{8}-\\d{6}\\.png$`));
  const png = readFileSync(await download.path());
  const size = pngSize(png);
  await expect(page.getByTestId('console-resolution')).toHaveText(`${size.width}×${size.height}`);
  const same = await page.evaluate(
    async ({ b64, path }) => {
      const load = async (blob: Blob) => createImageBitmap(blob);
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const mine = await load(new Blob([bytes], { type: 'image/png' }));
      const theirs = await load(await (await fetch(path)).blob());
      if (mine.width !== theirs.width || mine.height !== theirs.height) return { match: 0, size: `${theirs.width}×${theirs.height}` };
      const px = (img: ImageBitmap) => {
        const c = new OffscreenCanvas(img.width, img.height);
        const ctx = c.getContext('2d');
        if (!ctx) throw new Error('no 2d context');
        ctx.drawImage(img, 0, 0);
        return ctx.getImageData(0, 0, img.width, img.height).data;
      };
      const a = px(mine);
      const b = px(theirs);
      let equal = 0;
      let lit = 0;
      for (let i = 0; i < a.length; i += 4) {
        const d = Math.abs((a[i] ?? 0) - (b[i] ?? 0)) + Math.abs((a[i + 1] ?? 0) - (b[i + 1] ?? 0)) + Math.abs((a[i + 2] ?? 0) - (b[i + 2] ?? 0));
        if (d < 24) equal++;
        if ((a[i] ?? 0) + (a[i + 1] ?? 0) + (a[i + 2] ?? 0) > 200) lit++;
      }
      return { match: equal / (a.length / 4), lit: lit / (a.length / 4), size: `${mine.width}×${mine.height}` };
    },
    { b64: png.toString('base64'), path: `/api/v1/hosts/local/vms/${uuids[A]}/screenshot` },
  );
  // The same screen (the text cursor may blink between the two), and not a blank one: the prompt and text are lit.
  expect(same.match, `console PNG vs libvirt's capture (${same.size})`).toBeGreaterThan(0.97);
  expect(same.lit).toBeGreaterThan(0.001);

  // Saved on the server: the toast names the file.
  await page.getByRole('button', { name: 'Screenshot' }).click();
  await page.getByRole('menuitem', { name: /Save on the server/ }).click();
  const toast = page.getByText('Screenshot saved on the server');
  await expect(toast).toBeVisible({ timeout: 30_000 });
  // The toast: an item of the notifications region, with its description.
  const desc = (await page.getByRole('region', { name: /^Notifications/ }).getByRole('listitem').filter({ hasText: 'Screenshot saved on the server' }).textContent()) ?? '';
  const path = /(\/\S.*?\.png)/.exec(desc)?.[1];
  expect(path, desc).toBeTruthy();
  if (path) {
    expect(path).toContain(`${A}-`);
    expect(pngSize(readFileSync(path))).toEqual(size);
    rmSync(path);
  }

  // Send keys menu.
  await page.getByRole('button', { name: 'Send keys' }).click();
  await expect(page.getByRole('menuitem', { name: /Ctrl\+Alt\+Del/ })).toBeVisible();
  await expect(page.getByRole('menuitem', { name: /Ctrl\+Alt\+F12/ })).toBeVisible();
  await shot(page, 'console-toolbar');
  await page.keyboard.press('Escape');

  // Full screen: the button, then F11 from the screen.
  await page.getByRole('button', { name: 'Full screen' }).click();
  const root = page.getByRole('group', { name: `Graphical console of ${A}` });
  await expect(page.getByRole('button', { name: 'Exit full screen' })).toBeVisible();
  expect(await root.evaluate((el) => document.fullscreenElement === el)).toBe(true);
  await shot(page, 'console-fullscreen');
  // The toolbar slides out of sight by itself, and comes back at the top edge.
  const tools = page.getByRole('toolbar', { name: 'Console tools' });
  await expect(tools).not.toBeInViewport({ timeout: 10_000 });
  await page.mouse.move(400, 300);
  await page.mouse.move(400, 2);
  await expect(tools).toBeInViewport();
  await screen.click();
  await page.keyboard.press('F11');
  await expect(page.getByRole('button', { name: 'Full screen', exact: true })).toBeVisible();
  expect(await page.evaluate(() => document.fullscreenElement)).toBeNull();
});

test('the console reconnects by itself after the VM was killed and started again', async ({ page }) => {
  test.setTimeout(240_000);
  await login(page);
  const screen = await openConsole(page, A);
  virsh('destroy', A);
  await expect(page.getByTestId('console-state')).toHaveText('VM not running', { timeout: 30_000 });
  await expect(page.getByTestId('console-fix').getByRole('button', { name: 'Start VM' })).toBeVisible();
  const since = logSize(A);
  virsh('start', A);
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 60_000 });
  await waitGuestReady(A, since);
  // The new connection is live: keys reach the rebooted guest.
  await screen.click();
  await runInGuest(page, A, 'echo BACK$((40+2)) > /dev/ttyS1', 'BACK42');
});

test('two consoles of two VMs at once (a tab and a pop-out window)', async ({ page, context }) => {
  test.setTimeout(180_000);
  await login(page);
  const screenA = await openConsole(page, A);
  const other = await context.newPage();
  const screenB = await openConsole(other, B, true);
  await expect(other.getByRole('button', { name: 'Open in a new window' })).toHaveCount(0);
  await screenA.click();
  await runInGuest(page, A, 'echo AAA$((1+2)) > /dev/ttyS1', 'AAA3');
  await screenB.click();
  await runInGuest(other, B, 'echo BBB$((2+2)) > /dev/ttyS1', 'BBB4');
  await expect(page.getByTestId('console-state')).toHaveText('Connected');
  await expect(other.getByTestId('console-state')).toHaveText('Connected');
  await other.close();
});

test('after a server restart the console reconnects with backoff and a countdown', async ({ page }) => {
  test.setTimeout(180_000);
  await login(page);
  const screen = await openConsole(page, B);
  const s = state();
  process.kill(s.serverPid, 'SIGTERM');
  await expect(page.getByTestId('console-state')).toHaveText(/^Disconnected · retry in \d+ s$/, { timeout: 30_000 });
  await expect(page.getByRole('alert').filter({ hasText: /Reconnecting in \d+ s/ })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Reconnect now' })).toBeVisible();
  // Same address, token and data dir: the session survives, and the console comes back by itself.
  const { pid } = await startServer(new URL(s.baseURL).host, s.token, s.dataDir);
  saveState({ ...s, serverPid: pid });
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 60_000 });
  await screen.click();
  await runInGuest(page, B, 'echo AGAIN$((3*3)) > /dev/ttyS1', 'AGAIN9');
});

test('Ctrl+Alt+Del from the menu reaches the guest', async ({ page }) => {
  test.setTimeout(120_000);
  await login(page);
  await openConsole(page, A);
  // The test guest's init powers off on Ctrl+Alt+Del (inittab ::ctrlaltdel:/sbin/poweroff -f).
  await page.getByRole('button', { name: 'Send keys' }).click();
  await page.getByRole('menuitem', { name: /Ctrl\+Alt\+Del/ }).click();
  await expect.poll(() => virsh('domstate', A), { timeout: 60_000 }).toBe('shut off');
  await expect(page.getByTestId('console-state')).toHaveText('VM not running', { timeout: 30_000 });
});

test('a VM without VNC shows the error and the fix, which works', async ({ page }) => {
  test.setTimeout(180_000);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuids[NOVNC]}/console`);
  const fix = page.getByTestId('console-fix');
  await expect(fix.getByRole('heading', { name: 'This VM has no VNC display' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('console-state')).toHaveText('No VNC display');
  await shot(page, 'console-no-vnc');
  expect(virsh('dumpxml', NOVNC)).not.toContain("type='vnc'");
  await fix.getByRole('button', { name: 'Add VNC graphics' }).click();
  await expect(fix.getByText(/VNC graphics were added/)).toBeVisible();
  expect(virsh('dumpxml', '--inactive', NOVNC)).toMatch(/<graphics type='vnc'[^>]*>[\s\S]*?<listen type='address' address='127\.0\.0\.1'/);
  // The VM is off: starting it from here connects.
  await fix.getByRole('button', { name: 'Start VM and connect' }).click();
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 60_000 });
  await expect(page.getByRole('application', { name: `Screen of ${NOVNC}` })).toBeVisible();
});

test('running VMs show a console thumbnail on their dashboard card', async ({ page }) => {
  test.setTimeout(120_000);
  const asked: { etag: string | null }[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith(`/vms/${uuids[B]}/thumbnail`)) asked.push({ etag: r.headers()['if-none-match'] ?? null });
  });
  // A is off (after Ctrl+Alt+Del above; made sure of when this test runs alone).
  if (virsh('domstate', A) !== 'shut off') virsh('destroy', A);
  await login(page);
  await page.getByLabel('Search VMs').fill(`e2e-con-${run}`);
  const img = card(page, B).getByRole('img', { name: `Screen of ${B}` });
  await expect(img).toBeVisible({ timeout: 30_000 });
  expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(320);
  await expect(img).toHaveAttribute('loading', 'lazy');
  // A VM that is off has none.
  await expect(card(page, A).getByTestId('vm-thumbnail')).toHaveCount(0);
  await shot(page, 'dashboard-thumbnails');
  // No polling: the card asks again only when the server announces a new
  // picture ("thumbnail" event), here after text appears on B's screen,
  // and then with the ETag of the one shown (a hash of the picture).
  const first = await img.getAttribute('src');
  const before = asked.length;
  typeInGuest(B, 'echo thumbnail-changed\n');
  await expect.poll(() => asked.length, { timeout: 45_000 }).toBeGreaterThan(before);
  expect(asked[before]?.etag).toMatch(/^"t[0-9a-f]{24}"$/);
  await expect(img).not.toHaveAttribute('src', first ?? '', { timeout: 15_000 });
  // Clicking it opens the console.
  await img.click();
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
});

test('console settings on the Settings page', async ({ page }) => {
  await login(page);
  await page.goto(`${state().baseURL}/settings`);
  const section = page.getByRole('region', { name: 'Console', exact: true });
  await expect(section.getByLabel('Scaling when a console opens')).toBeVisible();
  await section.getByLabel('Scaling when a console opens').selectOption('native');
  await section.getByLabel('Open consoles view-only').check();
  expect(await page.evaluate(() => localStorage.getItem('kvmm.console'))).toContain('"scaling":"native"');
  expect(await seriousViolations(page), 'settings').toEqual([]);
  await page.goto(`${state().baseURL}/vms/local/${uuids[B]}/console`);
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  await expect(page.getByRole('button', { name: 'Scaling: 1:1' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'View only' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('console-status')).toContainText('view only');
  // F1 with the screen not focused: the shortcut overlay, with the console's keys.
  await page.getByRole('heading', { level: 1 }).click();
  await page.keyboard.press('F1');
  const overlay = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(overlay).toBeVisible();
  await expect(overlay.getByText(/Graphical console/)).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(overlay).toHaveCount(0);
});
