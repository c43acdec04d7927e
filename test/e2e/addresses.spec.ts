// Issue 15: a VM's IP address as a user sees it, on its dashboard card and
// on its Overview, for a guest whose network lives in a network namespace of
// this spec's own (scripts/netns-libvirt.sh, as the integration tests and the
// create benchmark use it under other names). That namespace has only its
// loopback and the bridge libvirt makes in it, and no route out: the guest's
// DHCP traffic never touches the host's interfaces. A libvirtd runs inside it
// and its socket is a file, so a second kvm-manager (the real binary, on the
// host's loopback) manages it as host "local", and Chromium talks only to that
// server on 127.0.0.1. The spec reads nothing of the global setup's state and
// removes its guest, network, server and namespace when it ends.

import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
// Any private subnet will do: the namespace has no other network.
const prefix = '10.77.0';
const token = randomBytes(24).toString('hex');

let sock = '';
let uri = '';
let baseURL = '';
let serverPid = 0;
let dataDir = '';
let setup: Promise<void> = Promise.resolve();

const execFileAsync = promisify(execFile);

/** Runs a program without blocking the worker (the browser starts meanwhile); its output, trimmed. */
async function cmd(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await execFileAsync(file, args, { env, encoding: 'utf8' });
  return stdout.trim();
}

/** virsh against the namespace's libvirtd. */
function nsVirsh(...args: string[]): Promise<string> {
  return cmd('virsh', ['-q', '-c', uri, ...args]);
}

function nsTestguest(...args: string[]): Promise<string> {
  return cmd(join(root, 'bin', 'testguest'), [...args, '--socket', sock, '--dir', guestDir]);
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

/** The namespace, its network and booting guest, and the server: what the test waits for before it logs in. */
async function setUp(): Promise<void> {
  sock = await cmd(nsScript, ['up'], nsEnv);
  uri = `qemu+unix:///system?socket=${sock}`;
  const guestUp = async () => {
    // Guests of this spec that a killed run left in the namespace's libvirtd.
    for (const name of (await nsVirsh('list', '--all', '--name')).split('\n')) {
      if (/^e2e-[0-9a-f]{6}-addr$/.test(name)) await nsTestguest('remove', '--name', name);
    }
    // An isolated network (transient: it is gone once destroyed) with DHCP.
    const xmlDir = mkdtempSync(join(tmpdir(), 'kvm-manager-e2e-net-'));
    try {
      const xml = join(xmlDir, 'net.xml');
      writeFileSync(xml, `<network><name>${net}</name><ip address='${prefix}.1' prefix='24'><dhcp><range start='${prefix}.100' end='${prefix}.199'/></dhcp></ip></network>`);
      await nsVirsh('net-create', xml);
    } finally {
      rmSync(xmlDir, { recursive: true, force: true });
    }
    // It runs qemu-ga and asks for a lease as it boots.
    await nsTestguest('create', '--name', guest, '--network', net, '--agent', '--start');
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

// The guest boots (20 to 40 s under TCG) while Chromium starts, the server
// starts and the page logs in: beforeAll starts the set-up, the test awaits it.
test.beforeAll(() => {
  setup = setUp();
  setup.catch(() => {}); // reported by the test's await, not as an unhandled rejection
});

test.afterAll(async () => {
  await setup.catch(() => {});
  const errors: string[] = [];
  const step = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      errors.push(`${what}: ${String(e)}`);
    }
  };
  await Promise.all([
    step('stopping the server', async () => {
      if (serverPid) await stopServer(serverPid);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }),
    step(`removing ${guest} and ${net}`, async () => {
      if (!sock) return;
      if ((await nsVirsh('list', '--all', '--name')).split('\n').includes(guest)) await nsTestguest('remove', '--name', guest);
      if ((await nsVirsh('net-list', '--all', '--name')).split('\n').includes(net)) await nsVirsh('net-destroy', net);
    }),
  ]);
  await step(`stopping the namespace ${nsName}`, () => cmd(nsScript, ['down'], nsEnv));
  if (errors.length > 0) throw new Error(`clean-up: ${errors.join('; ')}`);
});

test("a guest's DHCP address shows on its card and its Overview, with where it came from", async ({ page }) => {
  test.setTimeout(180_000);
  await setup;
  // Log in to this spec's server with its token, as a user pasting it would.
  await page.goto(`${baseURL}/login`);
  await showTokenField(page);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).not.toHaveURL(/\/login/);
  await expect(card(page, guest)).toBeVisible();

  // What the guest itself got, from its own console log.
  let ip = '';
  await expect
    .poll(() => (ip = guestLease()), { timeout: 120_000, message: `${guest} got no DHCP lease (see its ttyS1.log)` })
    .toMatch(new RegExp(`^${escapeRe(prefix)}\\.`));
  // libvirt's lease table agrees (the namespace's dnsmasq gave it).
  expect(await nsVirsh('net-dhcp-leases', net)).toContain(`${ip}/24`);

  // The card shows the address; its tooltip says where it was read.
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
});
