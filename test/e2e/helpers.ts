import { expect, type BrowserContext, type Page } from '@playwright/test';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, state, virsh } from './env.ts';

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';

/** Shows the login page's token field (the form starts with username and password unless the token was used last). */
export async function showTokenField(page: Page): Promise<void> {
  const token = page.getByLabel('Access token');
  const username = page.getByLabel('Username');
  await expect(token.or(username)).toBeVisible();
  if (!(await token.isVisible())) await page.getByRole('button', { name: 'Use an API token' }).click();
  await expect(token).toBeVisible();
}

/** The saved login (cookies) of the global server's token session, shared by the specs. */
const authFile = join(root, 'test-results', 'e2e-auth.json');

/** The user menu's button, there once the app shows a signed-in page. */
export function userMenu(page: Page) {
  return page.getByRole('button', { name: /^User menu:/ });
}

/**
 * Logs the page in on the global server. The first call logs in through the
 * form and saves the session (storageState's cookies); later calls reuse it,
 * so that specs do not each drive the login page and add a session. When the
 * saved session no longer works (a spec logged it out, the server is new),
 * the form is used again and the new session saved.
 */
export async function login(page: Page): Promise<void> {
  const s = state();
  if (existsSync(authFile)) {
    const saved = JSON.parse(readFileSync(authFile, 'utf8')) as { baseURL: string; cookies: Awaited<ReturnType<BrowserContext['cookies']>> };
    if (saved.baseURL === s.baseURL) {
      await page.context().addCookies(saved.cookies);
      await page.goto(`${s.baseURL}/`);
      const form = page.getByRole('button', { name: 'Log in' });
      await expect(userMenu(page).or(form)).toBeVisible();
      if (await userMenu(page).isVisible()) return;
      await page.context().clearCookies();
    }
  }
  await loginWithForm(page);
  writeFileSync(authFile, JSON.stringify({ baseURL: s.baseURL, cookies: await page.context().cookies() }));
}

/** Logs the page in through the form, as a user pasting the token would (the token is an admin credential). */
export async function loginWithForm(page: Page): Promise<void> {
  const s = state();
  await page.goto(`${s.baseURL}/login`);
  await showTokenField(page);
  await page.getByLabel('Access token').fill(s.token);
  await page.getByRole('button', { name: 'Log in' }).click();
  // The login page has a heading of its own: wait until it is gone, or a
  // navigation right after this could abort the login request.
  await expect(page).not.toHaveURL(/\/login/);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

/** Logs the page in at baseURL with a username and password. */
export async function loginAs(page: Page, baseURL: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseURL}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  // The login page has a heading of its own: wait until it is gone, or a
  // navigation right after this could abort the login request.
  await expect(page).not.toHaveURL(/\/login/);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

/** The card (cards view) of a VM on the dashboard. */
export function card(page: Page, name: string) {
  return page.getByRole('article', { name });
}

/** The VM's state as its card shows it. */
export function cardState(page: Page, name: string) {
  return card(page, name).getByTestId('vm-state');
}

export function vm(i: number) {
  return state().vms[i];
}

/** Offset of the guest's ttyS1 log, to wait for a boot after it. */
export function logSize(name: string): number {
  const p = join(guestDir, 'vms', name, 'ttyS1.log');
  return existsSync(p) ? statSync(p).size : 0;
}

/** Waits until the guest printed its ready line after offset since. */
export async function waitGuestReady(name: string, since: number): Promise<void> {
  const p = join(guestDir, 'vms', name, 'ttyS1.log');
  await expect
    .poll(() => (existsSync(p) ? readFileSync(p).subarray(since).toString().includes('KVMTEST-READY boot=') : false), {
      timeout: 90_000,
      message: `guest ${name} did not boot`,
    })
    .toBe(true);
}

/** Saves a screenshot where the user guide uses it (docs/images) and as a test artifact. */
export async function shot(page: Page, name: string): Promise<void> {
  const docs = join(root, 'docs', 'images');
  const artifacts = join(root, 'test-results', 'screenshots');
  mkdirSync(docs, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(docs, `${name}.png`), animations: 'disabled' });
  await page.screenshot({ path: join(artifacts, `${name}.png`), animations: 'disabled' });
}

const PLAIN_KEYS: Record<string, string> = { ' ': 'SPACE', '/': 'SLASH', '.': 'DOT', '-': 'MINUS', '=': 'EQUAL', ';': 'SEMICOLON', '\n': 'ENTER' };
const SHIFTED_KEYS: Record<string, string> = { $: '4', '(': '9', ')': '0', '>': 'DOT', '*': '8' };

/** Types on a guest's VGA console (tty1, a root shell), one key at a time through libvirt. */
export function typeInGuest(name: string, text: string): void {
  for (const c of text) {
    let keys: string[];
    if (/[a-z]/.test(c)) keys = [`KEY_${c.toUpperCase()}`];
    else if (/[A-Z]/.test(c)) keys = ['KEY_LEFTSHIFT', `KEY_${c}`];
    else if (/[0-9]/.test(c)) keys = [`KEY_${c}`];
    else if (c in PLAIN_KEYS) keys = [`KEY_${PLAIN_KEYS[c]}`];
    else if (c in SHIFTED_KEYS) keys = ['KEY_LEFTSHIFT', `KEY_${SHIFTED_KEYS[c]}`];
    else throw new Error(`cannot type ${JSON.stringify(c)}`);
    virsh('send-key', name, ...keys);
  }
}

/** What a guest wrote to its ttyS1 log after offset since. */
export function guestOutput(name: string, since: number): string {
  const p = join(guestDir, 'vms', name, 'ttyS1.log');
  return existsSync(p) ? readFileSync(p).subarray(since).toString() : '';
}
