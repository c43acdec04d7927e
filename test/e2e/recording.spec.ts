// Console recording and playback against the running guest (delta): start
// recording from the console toolbar (every viewer sees the Recording
// mark), type a command that runs in the guest, stop, open the recording in
// the player, play, seek, and read the screen it draws.

import { expect, test } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { state, virsh } from './env.ts';
import { login, logSize, shot, vm, waitGuestReady } from './helpers.ts';

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';

test.beforeAll(async () => {
  // Other specs power delta off and on; this one needs it running.
  const { name } = vm(3);
  if (virsh('domstate', name) !== 'running') {
    const since = logSize(name);
    virsh('start', name);
    await waitGuestReady(name, since);
  }
});

function ttyS1(name: string, offset: number): string {
  const p = join(guestDir, 'vms', name, 'ttyS1.log');
  return existsSync(p) ? readFileSync(p).subarray(offset).toString() : '';
}

test('records a console, then plays and seeks in the recording', async ({ page, browser }) => {
  test.setTimeout(180_000);
  const { name, uuid } = vm(3);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/console`);
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  const screen = page.getByRole('application', { name: `Screen of ${name}` });

  await page.getByRole('button', { name: 'Record', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Recording' })).toBeVisible();
  // A second viewer of the same console sees the mark too.
  const other = await (await browser.newContext()).newPage();
  await login(other);
  await other.goto(`${state().baseURL}/vms/local/${uuid}/console`);
  await expect(other.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  await expect(other.getByRole('status').filter({ hasText: 'Recording' })).toBeVisible();
  await other.context().close();

  await screen.click();
  const since = logSize(name);
  await page.keyboard.type('echo REC$((6*7))X > /dev/ttyS1', { delay: 30 });
  await page.keyboard.press('Enter');
  await expect.poll(() => ttyS1(name, since), { timeout: 30_000 }).toContain('REC42X');
  await page.getByRole('button', { name: 'Stop recording' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Recording' })).toHaveCount(0);

  // The Recordings page of the navigation lists newest first: the second
  // viewer's console was recorded too (it opened while the VM recorded);
  // the first console's recording, with the typing, is the older one.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Recordings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Recordings' })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: name })).toHaveCount(2);
  const row = page.getByRole('row').filter({ hasText: name }).last();
  await row.getByRole('link', { name: 'Play' }).click();
  const player = page.locator('.rec-player');
  await expect(player).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  const canvas = player.locator('canvas');
  await expect(canvas).toBeVisible();

  // Play at 8×, then seek back to the middle.
  await player.getByRole('combobox').selectOption('8');
  await player.getByRole('button', { name: 'Play' }).click();
  await expect.poll(async () => (await page.getByTestId('rec-time').textContent()) ?? '', { timeout: 30_000 }).toMatch(/^(\d+):(\d\d) \/ \1:\2$/);
  const seekTo = await player.getByRole('slider', { name: 'Position' }).evaluate((el) => {
    const input = el as HTMLInputElement;
    const mid = Math.round(Number(input.max) / 200) * 100; // the slider's step is 100 ms
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
    set?.call(input, String(mid));
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return mid;
  });
  await expect(player).toHaveAttribute('data-ready', 'true');
  await expect.poll(async () => Number(await player.getByRole('slider', { name: 'Position' }).inputValue())).toBeGreaterThanOrEqual(seekTo);
  // The screen the player drew has text on it (the guest's console), not one colour.
  await expect
    .poll(
      () =>
        canvas.evaluate((c) => {
          const ctx = (c as HTMLCanvasElement).getContext('2d');
          if (!ctx || c.width === 0) return 0;
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          let lit = 0;
          for (let i = 0; i < d.length; i += 4) if ((d[i] ?? 0) + (d[i + 1] ?? 0) + (d[i + 2] ?? 0) > 200) lit++;
          return lit;
        }),
      { timeout: 15_000 },
    )
    .toBeGreaterThan(100);
  await shot(page, 'recording-player');
});
