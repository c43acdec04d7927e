import { expect, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeLeftoverGuests, startServer, state, testguest, virsh } from './env.ts';
import { login } from './helpers.ts';

// Snapshot schedules in the browser: a policy made from a VM's Snapshots
// tab with the form (the schedule said in words with its next runs in the
// server's and the browser's time zones as it is typed, a bad schedule
// refused with the server's reason), listed in the tab and on the
// Schedules page, and deleted there. The server (GET /api/v1/schedules) is
// the ground truth. Runs themselves are checked in test/integration.

const NAME = `sched-e2e-${randomBytes(3).toString('hex')}`;
const POLICY = `e2e${randomBytes(3).toString('hex')}`;
let uuid = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(() => {
  removeLeftoverGuests('sched-e2e-');
  testguest('create', '--name', NAME);
  uuid = virsh('domuuid', NAME);
});

test.afterAll(async ({ request }) => {
  // A policy left by a failed run would outlive the guest.
  const res = await request.get(`${state().baseURL}/api/v1/schedules`, { headers: { Authorization: `Bearer ${state().token}` } });
  if (res.ok()) {
    for (const p of ((await res.json()) as { policies: { id: string; name: string }[] }).policies) {
      if (p.name === POLICY) await request.delete(`${state().baseURL}/api/v1/schedules/${p.id}`, { headers: { Authorization: `Bearer ${state().token}` } });
    }
  }
  testguest('remove', '--name', NAME);
});

test('a policy from the Snapshots tab: preview in words, listed, then deleted on the Schedules page', async ({ page, request }) => {
  test.setTimeout(90_000);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.addInitScript(() => {
    // The browser in another zone than the server, so that both are shown.
    Object.defineProperty(Intl.DateTimeFormat.prototype, 'resolvedOptions', {
      value: function () {
        return { locale: 'en-GB', timeZone: 'America/New_York', calendar: 'gregory', numberingSystem: 'latn' };
      },
    });
  });
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/snapshots`);
  const section = page.getByRole('region', { name: 'Schedules' });
  await expect(section.getByText('No snapshot policy applies here.')).toBeVisible();
  await section.getByRole('button', { name: 'New policy for this VM' }).click();

  const dialog = page.getByRole('dialog', { name: 'New snapshot policy' });
  await dialog.getByLabel('Name', { exact: true }).fill(POLICY);
  const schedule = dialog.getByLabel('Schedule', { exact: true });
  await schedule.fill('61 * * * *');
  await expect(dialog.getByText(/minute "61" is not a value from 0 to 59/)).toBeVisible();
  await schedule.fill('30 2 * * mon-fri');
  const preview = dialog.getByRole('status', { name: 'Schedule preview' });
  await expect(preview).toContainText('at 02:30 on Monday to Friday');
  await expect(preview.getByRole('listitem')).toHaveCount(3);
  await expect(preview.getByRole('listitem').first()).toContainText('(server,');
  await expect(preview.getByRole('listitem').first()).toContainText('your time, America/New_York');
  await dialog.getByLabel('Keep last', { exact: true }).fill('3');
  await dialog.getByLabel('Keep daily', { exact: true }).fill('7');
  await expect(dialog.getByRole('checkbox', { name: NAME })).toBeChecked();
  await dialog.getByRole('button', { name: 'Create policy' }).click();
  await expect(dialog).toBeHidden();

  const item = section.getByRole('listitem', { name: `Policy ${POLICY}` });
  await expect(item).toContainText('at 02:30 on Monday to Friday');
  await expect(item).toContainText('keep the last 3, 7 daily');
  await expect(item.getByRole('list', { name: `Next runs of ${POLICY}` }).getByRole('listitem')).toHaveCount(3);

  // The server has it, attached to this VM.
  const auth = { headers: { Authorization: `Bearer ${state().token}` } };
  const mine = (await (await request.get(`${state().baseURL}/api/v1/hosts/local/vms/${uuid}/schedules`, auth)).json()) as {
    policies: { id: string; name: string; schedule: string; retention: Record<string, number>; targets: { uuid: string }[] }[];
  };
  expect(mine.policies.map((p) => [p.name, p.schedule, p.retention.keepLast, p.retention.keepDaily, p.targets[0]?.uuid])).toEqual([[POLICY, '30 2 * * mon-fri', 3, 7, uuid]]);

  // The Schedules page lists it; delete it there.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
  await expect(page.getByRole('heading', { name: 'Snapshot schedules' })).toBeVisible();
  const row = page.getByRole('listitem', { name: `Policy ${POLICY}` });
  await expect(row).toContainText(`Applies to ${NAME}`);
  await row.getByRole('button', { name: `Delete policy ${POLICY}` }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete policy' }).click();
  await expect(row).toBeHidden();
  const after = (await (await request.get(`${state().baseURL}/api/v1/schedules`, auth)).json()) as { policies: { name: string }[] };
  expect(after.policies.map((p) => p.name)).not.toContain(POLICY);
});

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
      { timeout: 10_000 },
    )
    .toBe(true);
}

// The alert and pinning, against a server of their own that admits
// "@every" schedules (and whose alert no other spec can see): a policy
// whose VM does not exist fails every second; after three failures in a
// row the dashboard, the status bar and the policy say so, and deleting the
// policy ends the alert. A snapshot selected in the tree is pinned and
// unpinned from the Schedules section, the server being the judge.
test('the failing-policy alert, and pinning a snapshot from the tree', async ({ page, request }) => {
  test.setTimeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'kvm-manager-e2e-sched-'));
  const token = randomBytes(24).toString('hex');
  const srv = await startServer('127.0.0.1:0', token, join(dir, 'data'), { args: ['--schedule-test-intervals'], log: 'e2e-sched-server.log' });
  try {
    const auth = { headers: { Authorization: `Bearer ${token}` } };
    const failing = `fail${randomBytes(3).toString('hex')}`;
    const made = await request.post(`${srv.baseURL}/api/v1/schedules`, {
      ...auth,
      data: { name: failing, schedule: '@every 1s', retention: {}, targets: [{ host: 'local', uuid: '00000000-0000-4000-8000-00000000e2e5' }] },
    });
    expect(made.status()).toBe(201);
    const id = ((await made.json()) as { id: string }).id;

    await page.goto(`${srv.baseURL}/login?token=${token}`);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await page.goto(`${srv.baseURL}/`);
    const banner = page.getByRole('alert').filter({ hasText: 'Scheduled snapshots are failing' });
    await expect(banner).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole('link', { name: '1 snapshot policy is failing. Open schedules' })).toBeVisible();
    await banner.getByRole('link', { name: 'Open snapshot schedules' }).click();
    const item = page.getByRole('listitem', { name: `Policy ${failing}` });
    await expect(item.getByRole('alert')).toContainText(new RegExp(`Policy ${failing} failed \\d+ times in a row`));
    expect((await request.delete(`${srv.baseURL}/api/v1/schedules/${id}`, auth)).status()).toBe(204);
    await expect(item).toBeHidden();
    await expect(page.getByRole('link', { name: /snapshot polic(y is|ies are) failing/ })).toBeHidden();

    // Pinning: a snapshot of the shut-off guest, selected in the tree.
    virsh('snapshot-create-as', NAME, 'pinme');
    await page.goto(`${srv.baseURL}/vms/local/${uuid}/snapshots`);
    await page.getByRole('treeitem', { name: /^pinme / }).click();
    const section = page.getByRole('region', { name: 'Schedules' });
    await expect(section).toContainText('Selected snapshot “pinme”: not taken by a policy.');
    await section.getByRole('button', { name: 'Pin', exact: true }).click();
    await expect(section).toContainText('Pinned: pinme');
    const pins = async () =>
      ((await (await request.get(`${srv.baseURL}/api/v1/hosts/local/vms/${uuid}/schedules`, auth)).json()) as { pins: { name: string }[] }).pins.map((p) => p.name);
    expect(await pins()).toEqual(['pinme']);
    await section.getByRole('button', { name: 'Unpin' }).click();
    await expect(section).not.toContainText('Pinned: pinme');
    expect(await pins()).toEqual([]);
  } finally {
    await stopServer(srv.pid);
    rmSync(dir, { recursive: true, force: true });
  }
});
