// The dashboard's table view, the status bar's operations and the audit log
// (issue 13, items 5 to 7), in Debian's Chromium against the real binary.
// The status bar and the audit log run on servers of their own: one with a
// viewer, an operator and an admin, one whose data dir holds an audit log
// written out of time order before it starts.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, startServer, testguest, virsh } from './env.ts';
import { login, loginAs, shot, userMenu, vm } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Stops a server this spec started and waits (up to 10 s) until it has exited, so that its data dir can go. */
async function stopServer(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // gone already
  }
  await expect
    .poll(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { timeout: 10_000, message: `kvm-manager (pid ${pid}) did not exit` },
    )
    .toBe(true);
}

test.describe('the VM table', () => {
  test('sorts by a header click, starts right under its header, keeps actions in place, hides columns and says it has no addresses', async ({ page }) => {
    const names = [0, 1, 2, 3].map((i) => vm(i).name);
    const prefix = names[0]?.replace(/-alpha$/, '') ?? 'e2e-';
    // One of ours running and one shut off, whatever earlier specs left.
    const running = vm(1).name;
    const stopped = vm(2).name;
    const startedHere = virsh('domstate', running) !== 'running';
    if (startedHere) virsh('start', running);
    if (virsh('domstate', stopped) !== 'shut off') virsh('destroy', stopped);
    try {
      await login(page);
      await page.getByRole('button', { name: 'Table', exact: true }).click();
      const table = page.getByRole('table', { name: 'Virtual machines' });
      await page.getByLabel('Search VMs').fill(prefix);
      await expect(table.getByRole('row', { name: running })).toBeVisible();
      const order = async () => (await table.getByRole('row').evaluateAll((rs) => rs.map((r) => r.getAttribute('aria-label') ?? ''))).filter((n) => names.includes(n));

      // Sorting: by name, ascending first; a click turns it; the choice is kept.
      const nameHead = table.getByRole('columnheader', { name: 'Name', exact: true });
      await expect(nameHead).toHaveAttribute('aria-sort', 'ascending');
      await expect.poll(order).toEqual([...names].sort());
      await nameHead.getByRole('button').click();
      await expect(nameHead).toHaveAttribute('aria-sort', 'descending');
      await expect.poll(order).toEqual([...names].sort().reverse());
      const stateHead = table.getByRole('columnheader', { name: 'State', exact: true });
      await stateHead.getByRole('button').click();
      await expect(stateHead).toHaveAttribute('aria-sort', 'ascending');
      await expect(nameHead).toHaveAttribute('aria-sort', 'none');
      await expect.poll(async () => (await order()).indexOf(running) < (await order()).indexOf(stopped)).toBe(true);
      await stateHead.getByRole('button').click();
      await expect(stateHead).toHaveAttribute('aria-sort', 'descending');
      await expect.poll(async () => (await order()).indexOf(running) > (await order()).indexOf(stopped)).toBe(true);
      await page.reload();
      await page.getByLabel('Search VMs').fill(prefix);
      await expect(table.getByRole('columnheader', { name: 'State', exact: true })).toHaveAttribute('aria-sort', 'descending');
      await table.getByRole('columnheader', { name: 'Name', exact: true }).getByRole('button').click();
      await expect(nameHead).toHaveAttribute('aria-sort', 'ascending');

      // No empty band: the first host's row starts where the header ends.
      await page.getByLabel('Search VMs').fill('');
      await expect(table.getByRole('row', { name: running })).toBeVisible();
      const head = await table.getByRole('row').first().boundingBox();
      const first = await table.getByRole('row').nth(1).boundingBox();
      expect(head && first && Math.abs(first.y - (head.y + head.height))).toBeLessThan(2);
      await page.getByLabel('Search VMs').fill(prefix);

      // Actions: the same place on every row, whatever the state allows.
      const actionsOf = (name: string) => table.getByRole('row', { name }).getByRole('group', { name: `Actions for ${name}` });
      const a = await actionsOf(running).boundingBox();
      const b = await actionsOf(stopped).boundingBox();
      expect(a && b && Math.abs(a.x - b.x)).toBeLessThan(1);
      expect(a && b && Math.abs(a.width - b.width)).toBeLessThan(1);
      const consoleX = async (name: string) => (await table.getByRole('row', { name }).getByRole('button', { name: 'Open console' }).boundingBox())?.x;
      expect(await consoleX(running)).toBe(await consoleX(stopped));

      // The IP column: the guest has no network interface, so no address is known, and the column says so.
      const headers = await table.getByRole('columnheader').allInnerTexts();
      const ip = headers.findIndex((h) => h.trim() === 'IP');
      expect(ip).toBeGreaterThan(0);
      await expect(table.getByRole('row', { name: running }).getByRole('cell').nth(ip)).toContainText('none');
      // The server reports addresses (an empty list here), so the header needs no note about them.
      await expect(table.getByRole('button', { name: 'About the IP column' })).toHaveCount(0);

      expect(await seriousViolations(page)).toEqual([]);
      await shot(page, 'dashboard-table');

      // Columns: hidden from the menu, still hidden after a reload, shown again.
      await table.getByRole('button', { name: 'Columns' }).click();
      await page.getByRole('menuitemcheckbox', { name: 'IP' }).click();
      await page.getByRole('menuitemcheckbox', { name: 'vCPUs' }).click();
      await expect(page.getByRole('menuitemcheckbox', { name: 'IP' })).toHaveAttribute('aria-checked', 'false');
      await shot(page, 'dashboard-table-columns');
      await page.keyboard.press('Escape');
      await expect(table.getByRole('columnheader', { name: 'IP' })).toHaveCount(0);
      await page.reload();
      await expect(table.getByRole('columnheader', { name: 'Name', exact: true })).toBeVisible();
      await expect(table.getByRole('columnheader', { name: 'IP' })).toHaveCount(0);
      await expect(table.getByRole('columnheader', { name: 'vCPUs' })).toHaveCount(0);
      await table.getByRole('button', { name: 'Columns' }).click();
      await page.getByRole('menuitemcheckbox', { name: 'IP' }).click();
      await page.getByRole('menuitemcheckbox', { name: 'vCPUs' }).click();
      await page.keyboard.press('Escape');
      await expect(table.getByRole('columnheader', { name: 'IP' })).toHaveCount(1);
      await page.getByRole('button', { name: 'Cards', exact: true }).click();
    } finally {
      if (startedHere) virsh('destroy', running);
    }
  });
});

const run = randomBytes(3).toString('hex');
const USERS = {
  vera: { password: `vera-pass-${run}`, role: 'viewer' },
  otto: { password: `otto-pass-${run}`, role: 'operator' },
  ada: { password: `ada-pass-${run}`, role: 'admin' },
} as const;
type User = keyof typeof USERS;

test.describe('operations in the status bar', () => {
  const GUEST = `e2e-${run}-ops`;
  let dir = '';
  let baseURL = '';
  let pid = 0;
  let uuid = '';

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    dir = mkdtempSync(join(tmpdir(), 'kvm-manager-e2e-ops-'));
    const bin = join(root, 'bin', 'kvm-manager');
    const users = Object.entries(USERS).map(([name, u]) => ({
      name,
      'password-hash': execFileSync(bin, ['hash-password'], { input: `${u.password}\n`, encoding: 'utf8' }).trim(),
      role: u.role,
    }));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ users }, null, 2));
    testguest('create', '--name', GUEST);
    uuid = virsh('domuuid', GUEST);
    const srv = await startServer('127.0.0.1:0', randomBytes(24).toString('hex'), join(dir, 'data'), { args: ['--config', config], log: 'e2e-ops-server.log' });
    baseURL = srv.baseURL;
    pid = srv.pid;
  });

  test.afterAll(async () => {
    await stopServer(pid);
    try {
      testguest('remove', '--name', GUEST);
    } catch (err) {
      console.warn(`removing ${GUEST}:`, err);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(browser: Browser, user: User): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await loginAs(page, baseURL, user, USERS[user].password);
    return page;
  }

  test('say what was done to which VM, and name who did it to admins only', async ({ browser }) => {
    const [otto, ada, vera] = [await signIn(browser, 'otto'), await signIn(browser, 'ada'), await signIn(browser, 'vera')];
    try {
      // The operator takes a snapshot (through the API, as the UI does).
      const session = (await (await otto.request.get(`${baseURL}/api/v1/session`)).json()) as { csrfToken: string };
      const res = await otto.request.post(`${baseURL}/api/v1/hosts/local/vms/${uuid}/snapshots`, {
        headers: { 'X-CSRF-Token': session.csrfToken, Origin: baseURL },
        data: { name: 'ui-C' },
      });
      expect(res.status()).toBe(202);

      for (const page of [ada, vera]) {
        const bar = page.getByRole('contentinfo', { name: 'Status bar' });
        await expect(bar).toContainText(`Snapshot ui-C of ${GUEST}`);
        await bar.getByRole('button', { name: /^Operations:/ }).click();
        const popover = page.getByRole('dialog');
        await popover.getByText(`Snapshot “ui-C” of ${GUEST} taken`).click();
        if (page === ada) {
          await expect(popover.getByRole('definition').filter({ hasText: /^otto$/ })).toBeVisible();
          await shot(page, 'status-bar-operations');
        } else {
          await expect(popover).toContainText('snapshot-create');
          await expect(popover).not.toContainText('otto');
          await expect(popover).not.toContainText('Asked by');
        }
        await page.keyboard.press('Escape');
      }
      // The server tells the viewer no more than the page shows.
      const list = await (await vera.request.get(`${baseURL}/api/v1/operations`)).text();
      expect(list).toContain(uuid);
      expect(list).not.toContain('otto');
      expect(await seriousViolations(vera)).toEqual([]);
    } finally {
      for (const p of [otto, ada, vera]) await p.context().close();
    }
  });
});

test.describe('the audit log', () => {
  let dir = '';
  let baseURL = '';
  let token = '';
  let pid = 0;
  /** Entries written before the server starts. */
  let written = 0;

  /**
   * The situation of issue 13: console sessions are written when they end,
   * with the time they began. Sixty of them began at 08:53:33 yesterday,
   * just before the log rotated at 08:53:45; the entries of 08:53:40 to :45
   * sit in the rotated file (audit.log.1), the sessions in the new one
   * (audit.log), followed by a day of newer entries. Written with the
   * server's own line format before it starts.
   */
  function writeLog(data: string): void {
    const yesterday = new Date();
    yesterday.setDate(yesterday.getDate() - 1);
    yesterday.setHours(8, 53, 0, 0);
    const at = (sec: number) => new Date(yesterday.getTime() + sec * 1000).toISOString();
    const base = { client: '127.0.0.1', host: 'local', durationMs: 12 };
    const rotated = [];
    for (let s = 40; s <= 45; s++) rotated.push({ ...base, time: at(s), user: 'otto', role: 'operator', action: 'vm.start', vm: 'web', result: 'ok', status: 200 });
    const current = [];
    for (let i = 0; i < 60; i++) current.push({ ...base, time: at(33), user: 'ada', role: 'admin', action: 'console.open', vm: `vm-${i}`, result: 'ok', status: 101, durationMs: 30_000 });
    const today = new Date();
    today.setHours(today.getHours() - 2);
    for (let i = 0; i < 150; i++) {
      const e: Record<string, unknown> = { ...base, time: new Date(today.getTime() + i * 1000).toISOString(), user: 'otto', role: 'operator', action: 'vm.reboot', vm: 'web', result: 'ok', status: 202 };
      if (i === 7) Object.assign(e, { action: 'snapshot.delete', result: 'error', status: 404, error: { code: 'snapshot_not_found', message: 'no such snapshot' } });
      current.push(e);
    }
    const lines = (es: object[]) => es.map((e) => `${JSON.stringify(e)}\n`).join('');
    mkdirSync(data, { recursive: true, mode: 0o700 });
    writeFileSync(join(data, 'audit.log.1'), lines(rotated), { mode: 0o600 });
    writeFileSync(join(data, 'audit.log'), lines(current), { mode: 0o600 });
    written = rotated.length + current.length;
  }

  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvm-manager-e2e-audit-'));
    writeLog(join(dir, 'data'));
    token = randomBytes(24).toString('hex');
    const srv = await startServer('127.0.0.1:0', token, join(dir, 'data'), { log: 'e2e-audit-server.log' });
    baseURL = srv.baseURL;
    pid = srv.pid;
  });

  test.afterAll(async () => {
    await stopServer(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  async function openAudit(page: Page, search = '') {
    await page.goto(`${baseURL}/login?token=${token}`);
    await expect(userMenu(page)).toBeVisible();
    await page.goto(`${baseURL}/audit${search}`);
    const region = page.getByRole('region', { name: 'Audit log entries' });
    await expect(region.getByRole('row').nth(1)).toBeVisible();
    return region;
  }

  test('lists a log written out of time order newest first, with dates and results in words', async ({ page }) => {
    const region = await openAudit(page);
    const rows = region.getByRole('row');
    // Every page, through the button (the keyboard's way; scrolling is the next test's).
    const more = page.getByRole('button', { name: /^Load (more|older entries)$/ });
    for (let i = 0; i < 30 && (await more.isVisible()); i++) {
      const before = await rows.count();
      await more.click();
      await expect.poll(async () => (await rows.count()) > before || !(await more.isVisible())).toBe(true);
    }
    const times = await region.getByRole('row').evaluateAll((rs) => rs.slice(1).map((r) => r.querySelector('time')?.getAttribute('datetime') ?? ''));
    for (let i = 1; i < times.length; i++) {
      const [newer, older] = [Date.parse(times[i - 1] ?? ''), Date.parse(times[i] ?? '')];
      expect(older, `entry ${i} (${times[i]}) is listed below an older one (${times[i - 1]})`).toBeLessThanOrEqual(newer);
    }
    // The rotated file's six entries are all there, once each.
    const rotatedSeen = times.filter((t) => {
      const d = new Date(t);
      return d.getHours() === 8 && d.getMinutes() === 53 && d.getSeconds() >= 40 && d.getSeconds() <= 45;
    });
    expect(rotatedSeen).toHaveLength(6);
    // Every entry written, the look-alike console sessions too.
    expect(times.length).toBeGreaterThanOrEqual(written);

    // Dates on every entry, today's too.
    const cells = await region.getByRole('row').evaluateAll((rs) => rs.slice(1).map((r) => r.querySelector('td')?.textContent ?? ''));
    for (const [i, c] of cells.entries()) expect(c, `row ${i + 1} shows no date`).toContain(String(new Date(times[i] ?? '').getFullYear()));
    // Results in words: no raw HTTP status.
    const results = await region.getByRole('row').evaluateAll((rs) => rs.slice(1).map((r) => r.querySelectorAll('td')[6]?.textContent ?? ''));
    for (const r of results) expect(r).not.toMatch(/\b\d{3}\b/);
    expect(results).toContain('Session ended');
    expect(results).toContain('Failed: not found');
    await expect(page.getByText('The start of the log: no older entries.')).toBeVisible();
    await expect(page.getByText(/entries shown/)).toHaveCount(0);
  });

  test('loads older entries as the list scrolls, and filters as one types', async ({ page }) => {
    const region = await openAudit(page);
    const rows = region.getByRole('row');
    const first = await rows.count();
    await shot(page, 'audit-log');
    await rows.last().scrollIntoViewIfNeeded();
    await expect.poll(() => rows.count()).toBeGreaterThan(first);

    await page.getByLabel('User').pressSequentially('ada');
    await expect(page).toHaveURL(/[?&]user=ada\b/);
    await expect.poll(async () => new Set(await rows.evaluateAll((rs) => rs.slice(1).map((r) => r.querySelectorAll('td')[1]?.textContent ?? ''))).size).toBe(1);
    await expect(rows.nth(1).getByRole('cell').nth(1)).toHaveText('ada');
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('sorts by a header click and hides a column from the Columns menu, both kept after a reload', async ({ page }) => {
    const region = await openAudit(page);
    const table = region.getByRole('table', { name: 'Audit log entries' });
    const head = (name: string) => table.getByRole('columnheader', { name: new RegExp(`^${name}`) });
    await expect(head('Time')).toHaveAttribute('aria-sort', 'descending');
    const users = () => table.getByRole('row').evaluateAll((rs) => rs.slice(1).map((r) => r.querySelectorAll('td')[1]?.textContent ?? ''));
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    const named = (us: string[]) => us.filter((u) => u !== '—');

    await head('User').getByRole('button').click();
    await expect(head('User')).toHaveAttribute('aria-sort', 'ascending');
    await expect(head('Time')).toHaveAttribute('aria-sort', 'none');
    const up = named(await users());
    expect(up).toEqual([...up].sort(collator.compare));
    expect(new Set(up).size).toBeGreaterThan(1);
    await head('User').getByRole('button').click();
    await expect(head('User')).toHaveAttribute('aria-sort', 'descending');
    const down = named(await users());
    expect(down).toEqual([...down].sort((a, b) => collator.compare(b, a)));

    await page.getByRole('button', { name: 'Columns of Audit log entries' }).click();
    await page.getByRole('menuitemcheckbox', { name: 'Client' }).click();
    await expect(head('Client')).toHaveCount(0);
    await expect(head('Role')).toBeVisible();

    await page.reload();
    await expect(table.getByRole('row').nth(1)).toBeVisible();
    await expect(head('Client')).toHaveCount(0);
    await expect(head('User')).toHaveAttribute('aria-sort', 'descending');
  });
});
