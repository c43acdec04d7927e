import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { state, testguest, virsh } from './env.ts';
import { card, login, shot } from './helpers.ts';

// Issue 15: create a network in the UI, see a VM's address appear on its
// card, see its lease, and have a delete refused while the VM runs. The
// network is isolated (it forwards nothing off its bridge) on a random
// 10.x.y.0/24, and its only guest only asks for a DHCP lease: no traffic
// leaves this machine. The spec removes its own network and guest.

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';
const run = randomBytes(3).toString('hex');
const net = `e2e-net-${run}`;
const guest = `e2e-${run}-net`;
const prefix = `10.${200 + (randomBytes(1)[0] ?? 0) % 50}.${randomBytes(1)[0] ?? 0}`;

function quiet(...args: string[]): void {
  try {
    virsh(...args);
  } catch {
    // already gone
  }
}

test.afterAll(() => {
  try {
    testguest('remove', '--dir', guestDir, '--name', guest);
  } catch {
    // never created
  }
  quiet('net-destroy', net);
  quiet('net-undefine', net);
});

test('a network made in the UI gives a guest an address that its card and the lease list show', async ({ page }) => {
  test.setTimeout(240_000);
  await login(page);
  await page.getByRole('link', { name: 'Networks' }).first().click();
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

  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: net }) });
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Isolated');
  await expect(row).toContainText(`${prefix}.0/24`);
  expect(virsh('net-info', net)).toMatch(/Active:\s+yes/);

  // A guest on it, with the guest agent; it asks for a lease as it boots.
  testguest('create', '--dir', guestDir, '--name', guest, '--network', net, '--agent', '--start');
  const log = join(guestDir, 'vms', guest, 'ttyS1.log');
  let ip = '';
  await expect
    .poll(
      () => {
        const m = existsSync(log) ? /KVMTEST-DHCP eth0 ip=([\d.]+)\//.exec(readFileSync(log, 'utf8')) : null;
        ip = m?.[1] ?? '';
        return ip;
      },
      { timeout: 150_000, message: 'the guest got no DHCP lease' },
    )
    .toMatch(new RegExp(`^${prefix.replaceAll('.', '\\.')}\\.`));

  // The dashboard filtered to this guest (the host may hold many other VMs).
  await page.goto(`${state().baseURL}/?q=${encodeURIComponent(guest)}`);
  await expect(card(page, guest).getByText(ip, { exact: true })).toBeVisible({ timeout: 60_000 });
  await shot(page, 'vm-card-address');

  // The lease list names the VM.
  await page.goto(`${state().baseURL}/networks`);
  await row.getByRole('button', { name: 'Leases' }).click();
  const leases = page.getByRole('region', { name: `DHCP leases of ${net}` });
  await expect(leases.getByRole('row').filter({ hasText: ip })).toContainText(guest);
  await expect(row).toContainText(guest);
  await shot(page, 'networks');

  // Deleting it while the guest runs is refused, naming the guest.
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText(new RegExp(`running VMs use it: "${guest}"`))).toBeVisible();
  expect(virsh('net-info', net)).toMatch(/Active:\s+yes/);

  // With the guest off it goes.
  virsh('destroy', guest);
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('rowheader', { name: net })).toBeHidden();
  expect(virsh('net-list', '--all', '--name')).not.toContain(net);
});
