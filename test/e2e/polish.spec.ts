// Details a new user trips over (issue 13): the skip link, requests during
// snapshot work, relative times that tick, the description dialog's focus,
// console warnings. Against the real server, libvirt and
// test guests.

import { expect, test, type Page, type Request } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { removeLeftoverGuests, state, testguest, virsh } from './env.ts';
import { login, logSize, waitGuestReady } from './helpers.ts';
import { colours } from './pixels.ts';

test.describe.configure({ mode: 'serial' });

const GUEST = `polish-e2e-${randomBytes(3).toString('hex')}`;
let uuid = '';

test.beforeAll(() => {
  removeLeftoverGuests('polish-e2e-');
  testguest('create', '--name', GUEST, '--start', '--wait');
  uuid = virsh('domuuid', GUEST);
});

test.afterAll(() => {
  testguest('remove', '--name', GUEST);
});

/** Counts the page's failed (aborted) requests and 404 answers under the API, with their URLs. */
function watchRequests(page: Page) {
  const failed: string[] = [];
  const notFound: string[] = [];
  // Every API request in the order the page made them ("GET /api/v1/…").
  const sent: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/') && !r.url().includes('/api/v1/events')) sent.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  // API requests in flight (the event stream stays open: not counted).
  const inflight = new Set<Request>();
  const api = (r: Request) => r.url().includes('/api/') && !r.url().includes('/api/v1/events');
  page.on('request', (r) => {
    if (api(r)) inflight.add(r);
  });
  page.on('requestfinished', (r) => inflight.delete(r));
  page.on('requestfailed', (r) => {
    inflight.delete(r);
    if (api(r)) failed.push(`${r.failure()?.errorText ?? '?'} ${r.method()} ${new URL(r.url()).pathname}`);
  });
  page.on('response', (r) => {
    if (r.status() === 404 && r.url().includes('/api/')) notFound.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  return { failed, notFound, sent, inflight };
}

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

test('a create, revert and delete of snapshots aborts no request and asks for no deleted snapshot', async ({ page }) => {
  test.setTimeout(300_000);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/snapshots`);
  await expect(page.getByRole('tree', { name: `Snapshots of ${GUEST}` })).toBeVisible();
  const seen = watchRequests(page);
  const node = (name: string) => page.getByRole('treeitem', { name: new RegExp(`^${name} `) });

  for (const name of ['p1', 'p2']) {
    await page.getByRole('button', { name: 'New snapshot' }).click();
    const dialog = page.getByRole('dialog', { name: `Take a snapshot of “${GUEST}”` });
    await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
    await dialog.getByRole('button', { name: 'Create snapshot' }).click();
    await expect(dialog).toBeHidden({ timeout: 120_000 });
    await expect(node(name)).toContainText('current');
  }

  await node('p1').click();
  await node('p1').click({ button: 'right' });
  await page.getByRole('menuitem', { name: /Revert to this snapshot/ }).click();
  const revert = page.getByRole('alertdialog', { name: `Revert “${GUEST}” to “p1”?` });
  await revert.getByRole('button', { name: 'Revert' }).click();
  await expect(revert).toBeHidden({ timeout: 120_000 });
  await expect(node('p1')).toContainText('current');

  // The selected snapshot goes, with its child.
  await node('p1').click();
  await expect(page.getByRole('heading', { level: 2, name: /p1/ })).toBeVisible();
  // The revert's end re-reads p1's details and diff (the heading shows the
  // cached ones meanwhile). A delete asked for while those reads are on their
  // way cancels them, rightly (they would answer 404): seen in CI on a loaded
  // machine. A user reads the details before deleting; so does the test, so
  // that what is counted below is what the operations themselves cause.
  await expect.poll(() => seen.inflight.size, { message: 'API requests in flight before the delete' }).toBe(0);
  await node('p1').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Delete with children…' }).click();
  const del = page.getByRole('alertdialog', { name: 'Delete “p1” and its descendants?' });
  await del.getByRole('button', { name: 'Delete 2 snapshots' }).click();
  await expect(del).toBeHidden({ timeout: 120_000 });
  // The snapshot tree's items (the sidebar is a tree too).
  await expect(page.getByRole('tree', { name: /^Snapshots of/ }).getByRole('treeitem')).toHaveCount(1);
  // Events and re-reads that come late: once no operation runs, until no API request is in flight.
  await expect(page.getByRole('button', { name: /^Operations: No running operations/ })).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => seen.inflight.size, { message: 'API requests in flight' }).toBe(0);

  expect(virsh('snapshot-list', GUEST, '--name').trim()).toBe('');
  expect.soft(seen.failed, 'aborted or failed API requests').toEqual([]);
  expect.soft(seen.notFound, '404 answers').toEqual([]);
  // Nothing about p1 or p2 was read once their delete was asked for: such a
  // read races the delete, and answered 404 when it lost (seen in CI).
  const del1 = seen.sent.findIndex((r) => /^DELETE .*\/snapshots\/p1$/.test(r));
  expect(del1, 'the DELETE request of p1').toBeGreaterThanOrEqual(0);
  expect
    .soft(seen.sent.slice(del1 + 1).filter((r) => /^GET .*\/snapshots\/p[12](\/|$)/.test(r)), 'reads of p1 or p2 after their delete was asked for')
    .toEqual([]);
});

test('a snapshot’s age ticks by itself, and Edit description opens with the caret at the end of its text', async ({ page }) => {
  test.setTimeout(120_000);
  virsh('snapshot-create-as', GUEST, 'pe-tick', '--description', 'old text');
  try {
    await login(page);
    await page.goto(`${state().baseURL}/vms/local/${uuid}/snapshots`);
    await page.getByRole('treeitem', { name: /^pe-tick / }).click();
    // "Taken": the date, and how long ago in brackets, which must move on without a reload.
    const taken = page.getByRole('definition').filter({ hasText: /\((just now|.* ago)\)/ });
    await expect(taken).toHaveCount(1);
    const first = await taken.textContent();
    await expect.poll(() => taken.textContent(), { message: 'the relative time of "Taken"', timeout: 15_000 }).not.toBe(first);

    await page.getByRole('button', { name: 'Edit description…' }).click();
    const box = page.getByRole('dialog', { name: /^Description of/ }).getByRole('textbox');
    await expect(box).toBeFocused();
    expect(await box.evaluate((el) => (el as HTMLTextAreaElement).selectionStart === (el as HTMLTextAreaElement).value.length)).toBe(true);
    await expect(box).toHaveValue('old text');
    await page.keyboard.press('Escape');
    await expect(box).toBeHidden();
  } finally {
    virsh('snapshot-delete', GUEST, 'pe-tick');
  }
});

test('the graphical console leaves no canvas warning in the browser console', async ({ page }) => {
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text());
  });
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/console`);
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  // The screen's canvas was made for reading back (a second getContext returns the same context).
  const attrs = await page
    .locator('canvas[aria-roledescription="remote screen"]')
    .evaluate((c: HTMLCanvasElement) => c.getContext('2d')?.getContextAttributes().willReadFrequently);
  expect(attrs, 'willReadFrequently of the screen canvas').toBe(true);
  // A reset: the firmware's and the kernel's screen modes follow each other,
  // and noVNC reads its canvas back at each change of size.
  const since = logSize(GUEST);
  virsh('reset', GUEST);
  await waitGuestReady(GUEST, since);
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  expect(warnings.filter((w) => /willReadFrequently|readback/i.test(w))).toEqual([]);
});
