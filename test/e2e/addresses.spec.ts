// Issue 15: networks and a VM's IP address as a user sees them. In the UI,
// create an isolated network with DHCP, start a guest on it, see its address
// on its dashboard card and its Overview and its lease in the network's
// lease list, have the network's delete refused while the guest runs, and
// delete it once the guest is off.
//
// All of it happens in a network namespace of this spec's own
// (scripts/netns-libvirt.sh, as the integration tests and the create
// benchmark use it under other names). That namespace has only its loopback
// and the bridge libvirt makes in it, and no route out: the guest's DHCP
// traffic never touches the host's interfaces, and nothing here touches the
// host's networks or bridges. A libvirtd runs inside it and its socket is a
// file, so a second kvm-manager (the real binary, on the host's loopback)
// manages it as host "local", and Chromium talks only to that server on
// 127.0.0.1. The spec reads nothing of the global setup's state and removes
// its guest, network, server and namespace when it ends, failed or not.

import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { root, startServer, stopServer } from './env.ts';
import { card, shot, showTokenField } from './helpers.ts';

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';
// Not the integration suite's namespace (kvmtest-net): an integration run
// that ends meanwhile takes its own down, guests and all.
const nsName = 'kvmtest-e2e';
const nsEnv = { ...process.env, KVM_TEST_NETNS: nsName, KVM_TEST_NETNS_DIR: `/var/lib/kvm-manager-test/${nsName}` };
const nsScript = join(root, 'scripts', 'netns-libvirt.sh');

const run = randomBytes(3).toString('hex');
const guest = `e2e-${run}-addr`;
const net = `e2e-${run}-net`;
// Any private subnet will do: the namespace has no other network (set-up
// removes what a killed run left, which would overlap).
const prefix = '10.77.0';
const token = randomBytes(24).toString('hex');

let sock = '';
let uri = '';
let baseURL = '';
let serverPid = 0;
let dataDir = '';
let setup: Promise<void> = Promise.resolve();
// The guest's start, which runs while the page checks the new network.
let started: Promise<unknown> = Promise.resolve();

const execFileAsync = promisify(execFile);

/** Runs a program without blocking the worker (the browser starts meanwhile); its output, trimmed. */
async function cmd(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await execFileAsync(file, args, { env, encoding: 'utf8' });
  return stdout.trim();
}

/** virsh against the namespace's libvirtd (never the host's). */
function nsVirsh(...args: string[]): Promise<string> {
  return cmd('virsh', ['-q', '-c', uri, ...args]);
}

/** The names virsh lists (list or net-list, with its flags), one per line. */
async function nsNames(...args: string[]): Promise<string[]> {
  return (await nsVirsh(...args, '--name')).split('\n').filter((n) => n !== '');
}

function nsTestguest(...args: string[]): Promise<string> {
  return cmd(join(root, 'bin', 'testguest'), [...args, '--socket', sock, '--dir', guestDir]);
}

/** Stops and removes a network of the namespace's libvirtd, whichever of the two it needs. */
async function removeNetwork(name: string): Promise<void> {
  if ((await nsNames('net-list')).includes(name)) await nsVirsh('net-destroy', name);
  if ((await nsNames('net-list', '--all')).includes(name)) await nsVirsh('net-undefine', name);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The address the guest says it got (its udhcpc script's line on ttyS1), or ''. */
function guestLease(): string {
  const log = join(guestDir, 'vms', guest, 'ttyS1.log');
  const m = existsSync(log) ? /KVMTEST-DHCP eth0 ip=([\d.]+)\//.exec(readFileSync(log, 'utf8')) : null;
  return m?.[1] ?? '';
}

/**
 * The namespace, the guest defined (not started: its network comes from the
 * UI) and the server: what the test waits for before it logs in.
 */
async function setUp(): Promise<void> {
  sock = await cmd(nsScript, ['up'], nsEnv);
  uri = `qemu+unix:///system?socket=${sock}`;
  const guestUp = async () => {
    // What a killed run of this spec left in the namespace's libvirtd (its
    // definitions outlive "down"): guests, then networks.
    for (const name of await nsNames('list', '--all')) {
      if (/^e2e-[0-9a-f]{6}-addr$/.test(name)) await nsTestguest('remove', '--name', name);
    }
    for (const name of await nsNames('net-list', '--all')) {
      if (/^e2e-[0-9a-f]{6}-net$/.test(name)) await removeNetwork(name);
    }
    // It runs qemu-ga and asks for a lease as it boots; libvirt checks its
    // network only when it starts.
    await nsTestguest('create', '--name', guest, '--network', net, '--agent');
  };
  const serverUp = async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kvm-manager-e2e-addr-'));
    const srv = await startServer('127.0.0.1:0', token, dataDir, { args: ['--host', `local=${uri}`], log: 'e2e-addresses-server.log' });
    baseURL = srv.baseURL;
    serverPid = srv.pid;
  };
  // Both run to their end, so that the clean-up never races one of them.
  const failed = (await Promise.allSettled([guestUp(), serverUp()])).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

// The namespace's libvirtd, the guest's definition and the server start
// while Chromium starts: beforeAll starts the set-up, the test awaits it.
test.beforeAll(() => {
  setup = setUp();
  setup.catch(() => {}); // reported by the test's await, not as an unhandled rejection
});

test.afterAll(async () => {
  await setup.catch(() => {});
  await started.catch(() => {});
  const errors: string[] = [];
  const step = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      errors.push(`${what}: ${String(e)}`);
    }
  };
  // The server lets go of the namespace's libvirtd by itself; the guest and
  // network go before the namespace does (its "down" keeps definitions).
  await Promise.all([
    step('stopping the server', async () => {
      if (serverPid) await stopServer(serverPid);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }),
    (async () => {
      await step(`removing ${guest} and ${net}`, async () => {
        if (!sock) return;
        if ((await nsNames('list', '--all')).includes(guest)) await nsTestguest('remove', '--name', guest);
        await removeNetwork(net);
      });
      await step(`stopping the namespace ${nsName}`, () => cmd(nsScript, ['down'], nsEnv));
    })(),
  ]);
  if (errors.length > 0) throw new Error(`clean-up: ${errors.join('; ')}`);
});

test("a network made in the UI gives a guest an address that its card, its Overview and the lease list show", async ({ page }) => {
  test.setTimeout(180_000);
  await setup;
  // Log in to this spec's server with its token, as a user pasting it would.
  await page.goto(`${baseURL}/login`);
  await showTokenField(page);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).not.toHaveURL(/\/login/);
  await expect(card(page, guest)).toBeVisible();

  // The network, made on the Networks page.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Networks' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Networks' })).toBeVisible();
  await page.getByRole('button', { name: 'Create network' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a network' });
  await dialog.getByLabel('Name').fill(net);
  await dialog.getByRole('radio', { name: /Isolated/ }).check();
  await dialog.getByLabel('Subnet').fill(`${prefix}.0/24`);
  // The DHCP range follows the subnet.
  await expect(dialog.getByLabel('DHCP from')).toHaveValue(`${prefix}.25`);
  await expect(dialog.getByLabel('DHCP to')).toHaveValue(`${prefix}.254`);
  await dialog.getByRole('button', { name: 'Create network' }).click();
  await expect(dialog).toBeHidden();
  // The guest starts on it and boots (20 to 40 s under TCG) while the page goes on.
  started = nsVirsh('start', guest);
  started.catch(() => {}); // reported by the await below, not as an unhandled rejection

  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: net }) });
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Isolated');
  await expect(row).toContainText(`${prefix}.0/24`);
  expect(await nsVirsh('net-info', net)).toMatch(/Active:\s+yes/);

  await started;

  // Deleting the network while the guest runs is refused, naming the guest.
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText(new RegExp(`running VMs use it: "${escapeRe(guest)}"`))).toBeVisible();
  expect(await nsVirsh('net-info', net)).toMatch(/Active:\s+yes/);

  // What the guest itself got, from its own console log.
  let ip = '';
  await expect
    .poll(() => (ip = guestLease()), { timeout: 120_000, message: `${guest} got no DHCP lease (see its ttyS1.log)` })
    .toMatch(new RegExp(`^${escapeRe(prefix)}\\.`));
  // libvirt's lease table agrees (the namespace's dnsmasq gave it).
  expect(await nsVirsh('net-dhcp-leases', net)).toContain(`${ip}/24`);

  // The card shows the address; its tooltip says where it was read.
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  const onCard = card(page, guest).getByText(ip, { exact: true });
  await expect(onCard).toBeVisible({ timeout: 60_000 });
  await expect(onCard).toHaveAttribute('title', new RegExp(`(^|\\n)${escapeRe(ip)} from (the guest agent|a DHCP lease)($|\\n)`));
  await shot(page, 'addresses-card');

  // The Overview lists it with its prefix, interface and source: the guest
  // runs qemu-ga, so the agent's view replaces the lease's once it answers.
  await card(page, guest).getByRole('link', { name: guest, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: guest })).toBeVisible();
  const list = page.getByRole('list', { name: 'IP addresses' });
  await expect(list.getByRole('listitem').filter({ hasText: `${ip}/24` })).toContainText('eth0, from the guest agent', { timeout: 60_000 });
  await expect(page.locator('[data-agent]')).toHaveAttribute('data-agent', 'connected');
  await expect(page.getByText('kvmtest', { exact: true })).toBeVisible();
  // The picture for the user guide: the Overview's Configuration, where they are.
  await page.getByRole('region', { name: 'Configuration' }).evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await shot(page, 'addresses-overview');

  // The network's lease list names the VM, and so does its row.
  await nav.getByRole('link', { name: 'Networks' }).click();
  await row.getByRole('button', { name: 'Leases' }).click();
  const leases = page.getByRole('region', { name: `DHCP leases of ${net}` });
  await expect(leases.getByRole('row').filter({ hasText: ip })).toContainText(guest);
  await expect(row).toContainText(guest);
  await shot(page, 'networks');

  // With the guest off the delete goes through, in libvirt too.
  await nsVirsh('destroy', guest);
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('rowheader', { name: net })).toBeHidden();
  expect(await nsNames('net-list', '--all')).not.toContain(net);
});
