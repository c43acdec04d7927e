// The Hardware tab: on a shut-off VM of the spec's own, the memory and its
// maximum are changed and a TPM added, each answer showing what changed in
// the stored definition (checked against virsh); the raw XML is edited,
// checked (a diff, nothing saved) and saved. Screenshots for the user guide.
import { expect, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { state, testguest, virsh } from './env.ts';
import { login, shot } from './helpers.ts';

const vmName = `e2e-hw-${randomBytes(4).toString('hex')}`;

test.afterAll(() => {
  testguest('remove', '--name', vmName);
});

test('hardware edit: memory, TPM and raw XML with a diff', async ({ page }) => {
  testguest('create', '--name', vmName);
  const uuid = virsh('domuuid', vmName);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/hardware`);

  const mem = page.getByRole('region', { name: 'vCPUs and memory' });
  await mem.getByLabel('Maximum memory (MiB)').fill('256');
  await mem.getByLabel('Memory (MiB)', { exact: true }).fill('256');
  await mem.getByRole('button', { name: 'Set memory' }).click();
  const last = page.getByRole('status', { name: 'Last change' });
  await expect(last).toContainText('Memory');
  await expect(last.getByLabel('Changes to the domain XML')).toContainText('262144');
  expect(virsh('dumpxml', '--inactive', vmName)).toContain("<memory unit='KiB'>262144</memory>");

  const tpm = page.getByRole('region', { name: 'Graphics and TPM' });
  await tpm.getByRole('button', { name: 'Add TPM 2.0' }).click();
  await expect(last).toContainText('TPM added');
  await expect(last.getByLabel('Changes to the domain XML')).toContainText('tpm-tis');
  await expect(tpm).toContainText('TPM: tpm-tis, emulator 2.0');
  expect(virsh('dumpxml', '--inactive', vmName)).toContain("<backend type='emulator' version='2.0'");
  await last.scrollIntoViewIfNeeded();
  await shot(page, 'hardware-tab');

  const xml = page.getByRole('region', { name: 'Domain XML' });
  await xml.getByRole('button', { name: 'Show the domain XML' }).click();
  await xml.getByRole('button', { name: 'Edit XML…' }).click();
  const box = xml.getByLabel('Edited domain XML');
  const text = await box.inputValue();
  await box.fill(text.replace('<description>', '<description>edited in the browser; '));
  await xml.getByRole('button', { name: 'Check and show the diff' }).click();
  await expect(last.getByLabel('Changes to the domain XML')).toContainText('+  <description>edited in the browser;');
  expect(virsh('dumpxml', '--inactive', vmName)).not.toContain('edited in the browser');
  await last.scrollIntoViewIfNeeded();
  await shot(page, 'hardware-xml-diff');
  await xml.getByRole('button', { name: 'Save' }).click();
  await expect(last).toContainText(/the edited definition was saved/i);
  expect(virsh('dumpxml', '--inactive', vmName)).toContain('edited in the browser');
});
