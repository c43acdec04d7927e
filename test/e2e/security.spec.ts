// Users, roles, sessions and the audit log, against a server of this spec's
// own (the global one has only the token): a viewer (vera), an operator
// (otto) and an admin (ada) from a --config file, their password hashes made
// by `kvm-manager hash-password`. What each role is offered in the UI, what
// the server refuses anyway, the operator's start really starting the VM
// (virsh), the admin reading it in the audit log, revoking a session, and
// the login throttle.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, startServer, testguest, virsh } from './env.ts';
import { card, cardState, loginAs, shot } from './helpers.ts';

const run = randomBytes(3).toString('hex');
const GUEST = `e2e-sec-${run}`;
const USERS = {
  vera: { password: `vera-pass-${run}`, role: 'viewer' },
  otto: { password: `otto-pass-${run}`, role: 'operator' },
  ada: { password: `ada-pass-${run}`, role: 'admin' },
} as const;
type User = keyof typeof USERS;

let dir = '';
let baseURL = '';
let pid = 0;
let uuid = '';
/** Pages kept open from one test to the next (otto's is revoked later). */
const pages: Partial<Record<User, { context: BrowserContext; page: Page }>> = {};

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = mkdtempSync(join(tmpdir(), 'kvm-manager-e2e-security-'));
  const bin = join(root, 'bin', 'kvm-manager');
  const users = Object.entries(USERS).map(([name, u]) => ({
    name,
    // Asked twice on a terminal; one line from a pipe.
    'password-hash': execFileSync(bin, ['hash-password'], { input: `${u.password}\n`, encoding: 'utf8' }).trim(),
    role: u.role,
  }));
  for (const u of users) expect(u['password-hash']).toMatch(/^\$(argon2id|2[aby])\$/);
  const config = join(dir, 'config.json');
  // Three sessions per user: enough for every test here (each keeps its
  // newest), and few enough to pass in the session-cap test.
  writeFileSync(config, JSON.stringify({ users, 'max-sessions-per-user': 3 }, null, 2));
  testguest('create', '--name', GUEST);
  uuid = virsh('domuuid', GUEST);
  const srv = await startServer('127.0.0.1:0', randomBytes(24).toString('hex'), join(dir, 'data'), {
    args: ['--config', config],
    log: 'e2e-security-server.log',
  });
  baseURL = srv.baseURL;
  pid = srv.pid;
});

test.afterAll(async () => {
  for (const p of Object.values(pages)) await p.context.close().catch(() => undefined);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // gone already
  }
  try {
    testguest('remove', '--name', GUEST);
  } catch (err) {
    console.warn(`removing ${GUEST}:`, err);
  }
  rmSync(dir, { recursive: true, force: true });
});

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** A browser of its own for user, logged in with the form (kept for later tests). */
async function signIn(browser: Browser, user: User): Promise<Page> {
  const old = pages[user];
  if (old) await old.context.close();
  const context = await browser.newContext();
  const page = await context.newPage();
  await loginAs(page, baseURL, user, USERS[user].password);
  pages[user] = { context, page };
  return page;
}

function userMenu(page: Page) {
  return page.getByRole('button', { name: /^User menu:/ });
}

test('each role logs in with username and password and sees who it is', async ({ browser, page }) => {
  // The form as it first shows: username and password, the token as the alternative.
  await page.goto(`${baseURL}/login`);
  await expect(page.getByLabel('Username')).toHaveAttribute('autocomplete', 'username');
  await expect(page.getByLabel('Password')).toHaveAttribute('autocomplete', 'current-password');
  await expect(page.getByRole('button', { name: 'Use an API token' })).toBeVisible();
  await page.getByLabel('Username').fill('otto');
  await page.getByLabel('Password').fill('x'.repeat(12));
  expect(await seriousViolations(page)).toEqual([]);
  await shot(page, 'security-login');

  for (const user of ['vera', 'otto', 'ada'] as const) {
    const p = await signIn(browser, user);
    await expect(card(p, GUEST)).toBeVisible();
    await expect(userMenu(p)).toHaveText(new RegExp(`${user}\\s*${USERS[user].role}`));
    const session = (await (await p.request.get(`${baseURL}/api/v1/session`)).json()) as { user: string; role: string };
    expect(session).toMatchObject({ user, role: USERS[user].role });
    // The audit log is an admin's: in the navigation for ada only.
    await expect(p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' })).toHaveCount(user === 'ada' ? 1 : 0);
  }
});

test('a viewer sees VMs and details but no power or console action, and the server refuses one anyway', async ({ browser }) => {
  const p = pages.vera?.page ?? (await signIn(browser, 'vera'));
  await p.goto(`${baseURL}/`);
  const c = card(p, GUEST);
  await expect(cardState(p, GUEST)).toHaveText('Shut off');
  await expect(c.getByRole('button')).toHaveCount(0);
  await expect(c.getByRole('link', { name: GUEST, exact: true })).toBeVisible();
  // No empty band where the actions would be: the card ends just below its last line.
  const band = await c.evaluate((el) => el.getBoundingClientRect().bottom - (el.lastElementChild?.getBoundingClientRect().bottom ?? 0));
  expect(band, 'space below the card\'s last line').toBeLessThan(16);

  await c.getByRole('link', { name: GUEST, exact: true }).click();
  await expect(p.getByRole('heading', { level: 1, name: GUEST })).toBeVisible();
  await expect(p.getByRole('group', { name: 'Power actions' })).toHaveCount(0);
  for (const name of ['Start', 'Take snapshot', 'Delete']) await expect(p.getByRole('button', { name, exact: true })).toHaveCount(0);
  await expect(p.getByText('(an admin can change this)')).toBeVisible();
  // The snapshot list is a viewer's to read, not to change.
  await p.getByRole('tab', { name: /Snapshots/ }).click();
  await expect(p.getByRole('tree', { name: `Snapshots of ${GUEST}` })).toBeVisible();
  await expect(p.getByRole('button', { name: /New snapshot/ })).toHaveCount(0);
  // No console tabs that could only say "not available": one line beside the tabs says who may.
  const tabs = p.getByRole('tablist', { name: 'VM sections' });
  await expect(tabs.getByRole('tab')).toHaveText(['Overview', /^Snapshots/]);
  await expect(p.getByTestId('role-hint').filter({ hasText: 'Your role (viewer) cannot open consoles; ask an admin for the operator role.' })).toBeVisible();
  expect(await seriousViolations(p)).toEqual([]);
  await shot(p, 'security-viewer');
  // A link to a console tab still says why there is none.
  await p.goto(`${baseURL}/vms/local/${uuid}/serial`);
  await expect(p.getByRole('note', { name: 'The serial console is not available to you' })).toContainText(
    'Your role (viewer) cannot open consoles; ask an admin for the operator role.',
  );
  await p.goto(`${baseURL}/vms/local/${uuid}/console`);
  await expect(p.getByRole('note', { name: 'The console is not available to you' })).toContainText(
    'Your role (viewer) cannot open consoles; ask an admin for the operator role.',
  );
  expect(await seriousViolations(p)).toEqual([]);
  // A console window opened by its address says the same.
  await p.goto(`${baseURL}/popout/serial/local/${uuid}`);
  await expect(p.getByRole('note', { name: 'Consoles are not available to you' })).toBeVisible();

  // What the UI does not offer, the server refuses: the viewer's own cookie and CSRF token.
  const session = (await (await p.request.get(`${baseURL}/api/v1/session`)).json()) as { csrfToken: string };
  const res = await p.request.post(`${baseURL}/api/v1/hosts/local/vms/${uuid}/start`, { headers: { 'X-CSRF-Token': session.csrfToken } });
  expect(res.status()).toBe(403);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden_role');
  expect(virsh('domstate', GUEST)).toBe('shut off');
});

test('an operator starts a VM from the UI but is offered no Delete', async ({ browser }) => {
  const p = pages.otto?.page ?? (await signIn(browser, 'otto'));
  await p.goto(`${baseURL}/`);
  const c = card(p, GUEST);
  await expect(cardState(p, GUEST)).toHaveText('Shut off');
  await expect(c.getByRole('button', { name: 'Open console' })).toBeVisible();
  await c.getByRole('button', { name: 'Start' }).click();
  await expect(cardState(p, GUEST)).toHaveText('Running', { timeout: 60_000 });
  await expect.poll(() => virsh('domstate', GUEST), { timeout: 30_000 }).toBe('running');
  // The operator's card shows the screen; the viewer's asks for none (thumbnails are screenshots).
  await expect(c.getByTestId('vm-thumbnail')).toBeVisible();
  const vera = pages.vera?.page ?? (await signIn(browser, 'vera'));
  const thumbnails: string[] = [];
  vera.on('request', (r) => {
    if (r.url().includes('/thumbnail') || r.url().includes('/screenshot')) thumbnails.push(r.url());
  });
  await vera.goto(`${baseURL}/`);
  await expect(cardState(vera, GUEST)).toHaveText('Running');
  await expect(card(vera, GUEST).getByTestId('vm-thumbnail')).toHaveCount(0);
  // The card is drawn and live (a stats sample shown), so a thumbnail would have been asked for by now.
  await expect(card(vera, GUEST).getByTestId('card-cpu')).toHaveText(/\d/, { timeout: 15_000 });
  expect(thumbnails).toEqual([]);

  await c.getByRole('link', { name: GUEST, exact: true }).click();
  await expect(p.getByRole('heading', { level: 1, name: GUEST })).toBeVisible();
  await expect(p.getByRole('button', { name: 'Shut down', exact: true })).toBeVisible();
  await expect(p.getByRole('button', { name: 'Delete', exact: true })).toHaveCount(0);
  // Autostart is an admin's: shown, not switchable.
  await expect(p.getByRole('switch', { name: 'Start with the host' })).toHaveCount(0);
  await expect(p.getByText('(an admin can change this)')).toBeVisible();
});

test('the admin reads the operator’s start in the audit log', async ({ browser }) => {
  const p = pages.ada?.page ?? (await signIn(browser, 'ada'));
  await p.goto(`${baseURL}/`);
  await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(p.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const entries = p.getByRole('region', { name: 'Audit log entries' });
  const start = entries.locator('tr[data-action="vm.start"][data-result="ok"]').filter({ hasText: GUEST });
  await expect(start).toHaveCount(1);
  await expect(start.getByRole('cell').nth(1)).toHaveText('otto');
  await expect(start.getByRole('cell').nth(2)).toHaveText('operator');
  // Results read in words (issue 13, item 7).
  await expect(start.getByText('Succeeded', { exact: true })).toBeVisible();
  // The viewer's refused start is there too, as denied.
  const denied = entries.locator('tr[data-action="vm.start"][data-result="denied"]').filter({ hasText: GUEST });
  await expect(denied.getByRole('cell').nth(1)).toHaveText('vera');
  await expect(denied.getByText('Denied', { exact: true })).toBeVisible();
  // Logins are recorded.
  await expect(entries.locator('tr[data-action="login"]').first()).toBeVisible();

  // Filter to otto: only his entries remain, and the address says so.
  await p.getByLabel('User').fill('otto');
  await expect(p).toHaveURL(/\/audit\?user=otto$/);
  await expect(entries.locator('tbody tr').filter({ hasNotText: 'otto' })).toHaveCount(0);
  await expect(start).toHaveCount(1);
  await p.getByRole('button', { name: 'Clear filters' }).click();
  await expect(p).toHaveURL(/\/audit$/);
  await expect(denied).toHaveCount(1);
  expect(await seriousViolations(p)).toEqual([]);
  await shot(p, 'security-audit');
});

test('the admin revokes the operator’s session and the operator lands on the login page', async ({ browser }) => {
  const otto = pages.otto?.page ?? (await signIn(browser, 'otto'));
  await otto.goto(`${baseURL}/`);
  await expect(card(otto, GUEST)).toBeVisible();

  const p = pages.ada?.page ?? (await signIn(browser, 'ada'));
  await userMenu(p).click();
  await p.getByRole('menuitem', { name: 'Sessions (all users)' }).click();
  await expect(p.getByRole('heading', { level: 1, name: 'Sessions' })).toBeVisible();
  const mine = p.locator('tr[data-session-user="ada"]').filter({ hasText: 'this session' });
  await expect(mine).toHaveCount(1);
  const ottoRow = p.locator('tr[data-session-user="otto"]');
  await expect(ottoRow).toHaveCount(1);
  await expect(p.locator('tr[data-session-user="vera"]')).toHaveCount(1);
  expect(await seriousViolations(p)).toEqual([]);
  await shot(p, 'security-sessions');

  await ottoRow.getByRole('button', { name: /^Revoke otto’s session/ }).click();
  const dialog = p.getByRole('alertdialog', { name: 'Revoke otto’s session?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Revoke session' }).click();
  await expect(ottoRow).toHaveCount(0);

  // Otto's next action (or his closed event stream) takes him to the login page.
  await card(otto, GUEST).getByRole('button', { name: 'Shut down' }).click({ timeout: 5_000 }).catch(() => undefined);
  await expect(otto.getByLabel('Username')).toBeVisible({ timeout: 30_000 });
  await expect(otto.getByRole('alert')).toContainText('Your session ended');
  expect((await otto.request.get(`${baseURL}/api/v1/vms`)).status()).toBe(401);
  // The VM is still running: nothing was done with the revoked session.
  expect(virsh('domstate', GUEST)).toBe('running');

  // The revocation is in the audit log.
  await p.goto(`${baseURL}/audit?action=session.revoke`);
  await expect(p.getByRole('region', { name: 'Audit log entries' }).locator('tr[data-action="session.revoke"]').first()).toContainText('ada');
});

test('logging in more often than allowed ends the oldest session, and its page says why', async ({ browser, playwright }) => {
  const vera = await signIn(browser, 'vera');
  await vera.goto(`${baseURL}/`);
  await expect(card(vera, GUEST)).toBeVisible();
  // Three more logins of vera elsewhere (a script, other browsers): the
  // page's session is now the oldest of four, one over the cap of three.
  for (let i = 0; i < 3; i++) {
    const api = await playwright.request.newContext({ baseURL });
    const res = await api.post('/api/v1/login', { data: { username: 'vera', password: USERS.vera.password } });
    expect(res.status()).toBe(200);
    await api.dispose();
  }
  await expect(vera.getByLabel('Username')).toBeVisible({ timeout: 30_000 });
  await expect(vera.getByRole('alert')).toContainText('more sessions than allowed');
  const res = await vera.request.get(`${baseURL}/api/v1/vms`);
  expect(res.status()).toBe(401);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('session_limit');
});

test('too many wrong passwords are refused for a while, with the time to wait', async ({ page }) => {
  // Last in this file: the throttle holds for this client address (loopback) on this server.
  await page.goto(`${baseURL}/login`);
  const alert = page.getByRole('alert');
  for (let i = 0; i < 8; i++) {
    await page.getByLabel('Username').fill('otto');
    await page.getByLabel('Password').fill(`wrong-${i}`);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/login'));
    await page.getByRole('button', { name: 'Log in' }).click();
    const status = (await answer).status();
    if (status === 429) break;
    expect(status).toBe(401);
    await expect(alert).toContainText('The user name or password is wrong');
  }
  await expect(alert).toContainText(/Too many failed logins from your address: wait \d+ seconds? before trying again/);
  await expect(page.getByRole('button', { name: 'Log in' })).toBeDisabled();
  await expect(page.getByTestId('login-wait')).toHaveText(/Logging in is possible again in \d+ s\./);
});
