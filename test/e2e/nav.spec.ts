// The persistent navigation (the sidebar's tree of hosts and VMs, its
// filter, keys and collapse), the state kept in the address, and every page
// at phone widths (360 and 390 px): no sideways scrolling, the menu and
// Log out within reach. Axe checks every page, the navigation included.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { state, virsh } from './env.ts';
import { card, login, shot, vm } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const tree = (page: Page) => page.getByRole('tree', { name: 'Hosts and VMs' });
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A VM's row in the tree: its name, then its state. */
const vmItem = (page: Page, name: string) => tree(page).getByRole('treeitem', { name: new RegExp(`^${esc(name)}, `) });
const hostItem = (page: Page, name: string) => tree(page).getByRole('treeitem', { name: new RegExp(`^${esc(name)}\\b`) }).and(page.locator('[aria-level="1"]'));
/** The prefix all of this run's guests share (e2e-<run>-). */
const runPrefix = () => vm(0).name.replace(/alpha$/, '');

const STATE_WORDS: Record<string, string> = { running: 'Running', 'shut off': 'Shut off', paused: 'Paused' };

/** Every page of the signed-in app, with a VM's tabs. */
function pages(): string[] {
  const v = vm(2);
  return [
    '/',
    `/vms/local/${v.uuid}`,
    `/vms/local/${v.uuid}/console`,
    `/vms/local/${v.uuid}/serial`,
    `/vms/local/${v.uuid}/snapshots`,
    '/settings',
    '/sessions',
    '/audit',
    '/hosts',
    '/storage',
    '/networks',
  ];
}

/** Waits until a page has drawn its main heading (every page has an h1). */
async function settled(page: Page) {
  await expect(page.getByRole('heading', { level: 1 }).first()).toBeAttached();
  await expect(page.getByRole('status').filter({ hasText: /^Loading/ })).toHaveCount(0);
}

test('the sidebar lists the hosts and their VMs with the states libvirt holds', async ({ page }) => {
  await login(page);
  await expect(tree(page)).toBeVisible();
  await expect(hostItem(page, 'local')).toHaveAttribute('aria-expanded', 'true');
  // Only this run's guests, so that the picture does not depend on other VMs of the host.
  await page.getByLabel('Filter VMs').fill(runPrefix());
  for (let i = 0; i < 4; i++) {
    const { name } = vm(i);
    const want = STATE_WORDS[virsh('domstate', name)] ?? virsh('domstate', name);
    await expect(vmItem(page, name)).toHaveAccessibleName(`${name}, ${want}`);
    await expect(vmItem(page, name)).toHaveAttribute('aria-level', '2');
  }
  await shot(page, 'navigation');
});

test('the filter narrows the tree to matching VMs', async ({ page }) => {
  await login(page);
  const filter = page.getByLabel('Filter VMs');
  await filter.fill(vm(2).name);
  await expect(vmItem(page, vm(2).name)).toBeVisible();
  await expect(tree(page).locator('[role="treeitem"][aria-level="2"]')).toHaveCount(1);
  await expect(vmItem(page, vm(0).name)).toHaveCount(0);
  await filter.fill('no-such-vm-anywhere-0');
  await expect(page.getByText('No VMs match.')).toBeVisible();
  await filter.press('Escape');
  await expect(filter).toHaveValue('');
  await expect(vmItem(page, vm(0).name)).toBeVisible();
});

test('the keyboard moves through the tree and opens a VM, which the tree marks as open', async ({ page }) => {
  await login(page);
  const filter = page.getByLabel('Filter VMs');
  await filter.fill(runPrefix());
  const [a, b, , d] = [vm(0), vm(1), vm(2), vm(3)];
  // ↓ from the filter goes to the first VM.
  await filter.press('ArrowDown');
  await expect(vmItem(page, a.name)).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(vmItem(page, b.name)).toBeFocused();
  await page.keyboard.press('End');
  await expect(vmItem(page, d.name)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(hostItem(page, 'local')).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(vmItem(page, a.name)).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/vms/local/${b.uuid}$`));
  await expect(page.getByRole('heading', { level: 1, name: b.name })).toBeVisible();
  await expect(vmItem(page, b.name)).toHaveAttribute('aria-current', 'page');
  await expect(vmItem(page, a.name)).not.toHaveAttribute('aria-current', 'page');
  // ← goes to the VM's host; the tree keeps one Tab stop, on the row last moved to.
  await vmItem(page, b.name).focus();
  await page.keyboard.press('ArrowLeft');
  await expect(hostItem(page, 'local')).toBeFocused();
  await expect(tree(page).locator('[tabindex="0"]')).toHaveCount(1);

  // Without a filter, ← closes the host and → opens it again.
  await filter.fill('');
  await hostItem(page, 'local').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(hostItem(page, 'local')).toHaveAttribute('aria-expanded', 'false');
  await expect(vmItem(page, a.name)).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await expect(hostItem(page, 'local')).toHaveAttribute('aria-expanded', 'true');
  await expect(vmItem(page, a.name)).toBeAttached();
});

test('the navigation collapses, stays so after a reload, and comes back', async ({ page }) => {
  await login(page);
  const toggle = page.getByRole('button', { name: 'Navigation' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(tree(page)).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('button', { name: 'Navigation' })).toHaveAttribute('aria-expanded', 'false');
  await expect(card(page, vm(0).name)).toBeVisible();
  await expect(tree(page)).toHaveCount(0);
  await page.getByRole('button', { name: 'Navigation' }).click();
  await expect(tree(page)).toBeVisible();
});

test('every page of the navigation opens, and no link of it leads nowhere', async ({ page }) => {
  await login(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const [link, heading] of [
    ['Hosts', 'Hosts'],
    ['Storage', 'Storage'],
    ['Networks', 'Networks'],
    ['Schedules', 'Snapshot schedules'],
    ['Audit log', 'Audit log'],
    ['Settings', 'Settings'],
    ['Dashboard', 'Virtual machines'],
  ]) {
    await nav.getByRole('link', { name: link }).click();
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeAttached();
    await expect(nav.getByRole('link', { name: link })).toHaveAttribute('aria-current', 'page');
    await expect(page.getByRole('heading', { name: 'Page not found' })).toHaveCount(0);
  }
  // Storage and Networks are real pages now, no longer placeholders.
  for (const path of ['storage', 'networks']) {
    await page.goto(`${state().baseURL}/${path}`);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByText('Coming in a later version')).toHaveCount(0);
  }
  await page.goto(`${state().baseURL}/hosts`);
  await expect(page.getByRole('row').filter({ hasText: 'qemu:///system' })).toBeVisible();
});

test('the dashboard keeps its filters in the address: they survive a reload and come back from a VM', async ({ page }) => {
  await login(page);
  const search = page.getByLabel('Search VMs');
  await search.fill(vm(2).name);
  await page.getByRole('combobox', { name: /^State/ }).selectOption('shutoff');
  await expect(page).toHaveURL(/[?&]q=/);
  await expect(page).toHaveURL(/[?&]state=shutoff/);
  await page.reload();
  await expect(page.getByLabel('Search VMs')).toHaveValue(vm(2).name);
  await expect(page.getByRole('combobox', { name: /^State/ })).toHaveValue('shutoff');
  await expect(card(page, vm(2).name)).toBeVisible();
  await expect(card(page, vm(0).name)).toHaveCount(0);
  // To a VM and back: the same filters.
  await card(page, vm(2).name).getByRole('link', { name: vm(2).name }).click();
  await page.getByRole('link', { name: 'All VMs' }).click();
  await expect(page.getByLabel('Search VMs')).toHaveValue(vm(2).name);
  await page.goBack();
  await page.goBack();
  await expect(page.getByLabel('Search VMs')).toHaveValue(vm(2).name);
});

test("a card's Take snapshot opens its dialog on the dashboard, and Open console the console's window", async ({ page }) => {
  await login(page);
  const v = vm(0);
  await card(page, v.name).getByRole('button', { name: 'Take snapshot' }).click();
  const dialog = page.getByRole('dialog', { name: `Take a snapshot of “${v.name}”` });
  await expect(dialog).toBeVisible();
  expect(new URL(page.url()).pathname).toBe('/');
  expect(new URL(page.url()).searchParams.get('do')).toBe('snapshot');
  // The intent is in the address: a reload opens the dialog again.
  await page.reload();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  expect(new URL(page.url()).searchParams.get('do')).toBeNull();

  const [popup] = await Promise.all([page.waitForEvent('popup'), card(page, v.name).getByRole('button', { name: 'Open console' }).click()]);
  await expect(popup).toHaveURL(new RegExp(`/popout/console/local/${v.uuid}$`));
  expect(new URL(page.url()).pathname).toBe('/');
  await popup.close();
});

test('axe finds nothing serious on any page, the navigation included', async ({ page }) => {
  await login(page);
  for (const path of pages()) {
    await page.goto(`${state().baseURL}${path}`);
    await settled(page);
    await expect(tree(page)).toBeVisible();
    expect(await seriousViolations(page), path).toEqual([]);
  }
});

for (const width of [360, 390]) {
  test(`at ${width} px every page fits the width, the menu opens the navigation, and Log out works`, async ({ page }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width, height: 780 });
    await login(page);
    // How far the document, or a page's own scrolling box (pages scroll inside .page-scroll, the dashboard's cards inside .vm-scroll), is wider than the window.
    const overflow = () =>
      page.evaluate(() => {
        const boxes = [...document.querySelectorAll<HTMLElement>('.page-scroll, .vm-scroll:not(:has(table))')];
        return Math.max((document.scrollingElement?.scrollWidth ?? 0) - window.innerWidth, ...boxes.map((b) => b.scrollWidth - b.clientWidth));
      });
    for (const path of pages()) {
      await page.goto(`${state().baseURL}${path}`);
      await settled(page);
      expect(await overflow(), `${path} at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
    }
    // The table view too.
    await page.goto(`${state().baseURL}/`);
    await page.getByRole('button', { name: 'Table' }).click();
    await expect(page.getByRole('table', { name: 'Virtual machines' })).toBeVisible();
    expect(await overflow(), `the table view at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: 'Cards' }).click();

    // The navigation is a drawer behind the menu button.
    await expect(tree(page)).toHaveCount(0);
    await page.getByRole('button', { name: 'Navigation' }).click();
    const drawer = page.getByRole('dialog', { name: 'Navigation' });
    await expect(drawer).toBeVisible();
    await drawer.getByLabel('Filter VMs').fill(runPrefix());
    await expect(vmItem(page, vm(1).name)).toBeVisible();
    expect(await seriousViolations(page), `the drawer at ${width} px`).toEqual([]);
    expect(await overflow()).toBeLessThanOrEqual(0);
    if (width === 390) await shot(page, 'navigation-phone');
    await vmItem(page, vm(1).name).click();
    await expect(page.getByRole('heading', { level: 1, name: vm(1).name })).toBeVisible();
    await expect(drawer).toBeHidden();

    // Settings and the user menu are on screen; Log out is in the menu and works.
    const menu = page.getByRole('button', { name: /^User menu:/ });
    await expect(menu).toBeInViewport({ ratio: 1 });
    await menu.click();
    const logout = page.getByRole('menuitem', { name: 'Log out' });
    await expect(logout).toBeInViewport({ ratio: 1 });
    await expect(page.getByRole('menuitem', { name: 'Settings' })).toBeInViewport({ ratio: 1 });
    await logout.click();
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
    expect(await overflow(), `the login page at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
  });
}
