import { expect, test, type Browser, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { removeLeftoverGuests, state, testguest, virsh, type E2EState } from './env.ts';
import { card, cardState, guestOutput, logSize, shot, showTokenField, typeInGuest, waitGuestReady } from './helpers.ts';

// The browser closes in the middle of an operation: the operation goes on
// on the server, and the next visit (a new browser context, a new login)
// shows how it ended — in the status bar's operations list and in the
// VM's state or snapshot tree — while libvirt (virsh) holds that end state.
// The guest is this spec's own.

const NAME = `flt-e2e-${randomBytes(3).toString('hex')}`;
let uuid = '';
// The run's server, read once: the state file is shared by every e2e run
// in this tree, and a run started meanwhile would replace it.
let run: E2EState;

test.describe.configure({ mode: 'serial' });

test.beforeAll(() => {
  run = state();
  // Guests of an earlier run that was killed before its afterAll.
  removeLeftoverGuests('flt-e2e-');
  testguest('create', '--name', NAME, '--start', '--wait');
  uuid = virsh('domuuid', NAME);
});

test.afterAll(() => {
  testguest('remove', '--name', NAME);
});


interface Op {
  id: string;
  kind: string;
  state: string;
  target: { uuid?: string };
  error?: { code: string; message: string };
  progress?: { stage?: string };
}

/** The seconds a shutdown has waited for the guest, as its progress says ("waiting … (7 s of 120 s)"). */
function waited(op: Op): number {
  return Number(/\((\d+) s of/.exec(op.progress?.stage ?? '')?.[1] ?? -1);
}

/** The server's own account of an operation, with the API token (not the browser's session). */
async function getOp(id: string): Promise<Op> {
  const s = run;
  const res = await fetch(`${s.baseURL}/api/v1/operations/${id}`, { headers: { Authorization: `Bearer ${s.token}` } });
  expect(res.status, `GET operation ${id}`).toBe(200);
  return (await res.json()) as Op;
}

async function runningOps(kind: string): Promise<Op[]> {
  const s = run;
  const res = await fetch(`${s.baseURL}/api/v1/operations`, { headers: { Authorization: `Bearer ${s.token}` } });
  const body = (await res.json()) as { operations: Op[] };
  return body.operations.filter((o) => o.kind === kind && o.target.uuid === uuid && o.state === 'running');
}

/** A fresh browser: a new context (no cookies, no storage), logged in through the form. */
async function visit(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${run.baseURL}/login`);
  await showTokenField(page);
  await page.getByLabel('Access token').fill(run.token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  return page;
}

/** The status bar's operations popover, opened. */
async function operationsPopover(page: Page) {
  await page.getByRole('button', { name: /^Operations:/ }).click();
  const pop = page.getByRole('dialog').filter({ has: page.getByRole('heading', { name: 'Operations' }) });
  await expect(pop).toBeVisible();
  return pop;
}

test('an ACPI shutdown started in a browser that then closed finishes, and the next visit shows it', async ({ browser }) => {
  test.setTimeout(180_000);
  // The guest ignores the ACPI request until the test lets it power off:
  // its acpid is stopped, so the operation runs as long as we need.
  const since = logSize(NAME);
  typeInGuest(NAME, 'killall acpid; echo ACPID-GONE >/dev/ttyS1\n');
  await expect.poll(() => guestOutput(NAME, since), { timeout: 30_000, message: 'acpid stopped in the guest' }).toContain('ACPID-GONE');

  const page = await visit(browser);
  await expect(cardState(page, NAME)).toHaveText('Running', { timeout: 30_000 });
  await card(page, NAME).getByRole('button', { name: 'Shut down' }).click();
  await expect(page.getByRole('button', { name: new RegExp(`^Operations: Shutting down ${NAME}`) })).toBeVisible();
  const op = (await runningOps('shutdown'))[0];
  if (!op) throw new Error('the server runs no shutdown operation of the VM');
  await page.context().close();

  // Nobody is watching; the operation still waits for the guest: it keeps
  // counting the seconds, two more than when the browser closed, still running.
  const closedAt = waited(await getOp(op.id));
  await expect
    .poll(
      async () => {
        const now = await getOp(op.id);
        return now.state === 'running' ? waited(now) : now.state;
      },
      { timeout: 30_000, message: 'the shutdown operation after the browser closed' },
    )
    .toBeGreaterThanOrEqual(Math.max(closedAt, 0) + 2);
  // The guest powers off now, by itself.
  typeInGuest(NAME, 'poweroff -f\n');
  await expect.poll(async () => (await getOp(op.id)).state, { timeout: 60_000, message: 'the shutdown operation' }).toBe('succeeded');
  expect(virsh('domstate', NAME)).toBe('shut off');

  // The next visit shows the end state and the finished operation.
  const next = await visit(browser);
  await expect(cardState(next, NAME)).toHaveText('Shut off');
  const pop = await operationsPopover(next);
  await expect(pop.getByText(`${NAME} is shut down`)).toBeVisible();
  await shot(next, 'reliability-finished-operation');
  await next.context().close();
});

test('a snapshot requested as the browser closes is taken, and the next visit shows it', async ({ browser }) => {
  test.setTimeout(180_000);
  const since = logSize(NAME);
  virsh('start', NAME);
  await waitGuestReady(NAME, since);

  const page = await visit(browser);
  await expect(cardState(page, NAME)).toHaveText('Running', { timeout: 30_000 });
  await card(page, NAME).getByRole('button', { name: 'Take snapshot' }).click();
  const dialog = page.getByRole('dialog', { name: `Take a snapshot of “${NAME}”` });
  await dialog.getByRole('textbox', { name: 'Name' }).fill('unwatched');
  const accepted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith(`/vms/${uuid}/snapshots`));
  await dialog.getByRole('button', { name: 'Create snapshot' }).click();
  const res = await accepted;
  expect(res.status()).toBe(202);
  const { id } = (await res.json()) as Op;
  // Gone the moment the server accepted it.
  await page.context().close();

  await expect.poll(async () => (await getOp(id)).state, { timeout: 120_000, message: 'the snapshot operation' }).toBe('succeeded');
  expect(virsh('snapshot-list', NAME, '--name')).toBe('unwatched');
  expect(virsh('snapshot-current', NAME, '--name')).toBe('unwatched');

  const next = await visit(browser);
  await next.goto(`${run.baseURL}/vms/local/${uuid}/snapshots`);
  await expect(next.getByRole('treeitem', { name: /^unwatched / })).toContainText('current');
  const pop = await operationsPopover(next);
  await expect(pop.getByText(`Snapshot “unwatched” of ${NAME} taken`)).toBeVisible();
  await next.context().close();
});
