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

// The video frames of a WebM and the time of the last one, in ms
// (TimecodeScale 1 ms, MediaRecorder's): Chromium's MediaRecorder writes
// no Duration element, so the span is read from the clusters' blocks
// (Chromium writes each frame as a Block inside a BlockGroup).
function webmFrames(b: Buffer): { end: number; blocks: number } {
  const vint = (at: number, keepMarker: boolean): [number, number] => {
    const first = b[at] ?? 0;
    let len = 1;
    while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
    let v = keepMarker ? first : first & (0xff >> len);
    for (let i = 1; i < len; i++) v = v * 256 + (b[at + i] ?? 0);
    return [v, len];
  };
  const containers = new Set([0x18538067, 0x1f43b675, 0xa0]); // Segment, Cluster, BlockGroup
  let cluster = 0;
  let end = 0;
  let blocks = 0;
  let at = 0;
  while (at < b.length - 2) {
    const [id, il] = vint(at, true);
    const [size, sl] = vint(at + il, false);
    const body = at + il + sl;
    const unknown = size === Math.pow(2, 7 * sl) - 1;
    if (containers.has(id)) {
      at = body; // walk into it (its size may be unknown: MediaRecorder streams)
      continue;
    }
    if (id === 0xe7) {
      // Cluster Timecode
      cluster = 0;
      for (let i = 0; i < size; i++) cluster = cluster * 256 + (b[body + i] ?? 0);
    } else if (id === 0xa3 || id === 0xa1) {
      // SimpleBlock or Block: track number (vint), int16 relative timecode
      const [, tl] = vint(body, false);
      end = Math.max(end, cluster + b.readInt16BE(body + tl));
      blocks++;
    }
    if (unknown) break;
    at = body + size;
  }
  return { end, blocks };
}

test('exports a recording to WebM', async ({ page }) => {
  test.setTimeout(120_000);
  const { name, uuid } = vm(3);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${uuid}/console`);
  await expect(page.getByTestId('console-state')).toHaveText('Connected', { timeout: 45_000 });
  // A short recording of its own: started, its first keyframe written, a
  // few seconds long.
  const status = `${state().baseURL}/api/v1/hosts/local/vms/${uuid}/console/recording`;
  await page.getByRole('button', { name: 'Record', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Recording' })).toBeVisible();
  const started = Date.now();
  await expect.poll(async () => ((await (await page.request.get(status)).json()) as { keyframes: number }).keyframes, { timeout: 30_000 }).toBeGreaterThan(0);
  await page.getByRole('application', { name: `Screen of ${name}` }).click();
  await page.keyboard.type('echo webm', { delay: 50 });
  await expect.poll(() => Date.now() - started, { timeout: 10_000 }).toBeGreaterThan(3000);
  await page.getByRole('button', { name: 'Stop recording' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Recording' })).toHaveCount(0);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Recordings' }).click();
  const row = page.getByRole('row').filter({ hasText: name }).first(); // newest first: this one
  await row.getByRole('link', { name: 'Play' }).click();
  const player = page.locator('.rec-player');
  await expect(player).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  const seconds = await page.evaluate(
    async (u) => ((await (await fetch(u)).json()) as { duration: number }).duration,
    `${state().baseURL}/api/v1/recordings/${new URL(page.url()).pathname.split('/').pop() ?? ''}`,
  );
  await player.getByRole('combobox').selectOption('2');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    player.getByRole('button', { name: 'Export WebM' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.webm$/);
  const webm = readFileSync(await download.path());
  // A real WebM: the EBML magic, a "webm" DocType, more than a header, and
  // frames spanning the recording played at 2×.
  expect(webm.subarray(0, 4).toString('hex')).toBe('1a45dfa3');
  expect(webm.subarray(0, 64).includes(Buffer.from('webm'))).toBe(true);
  expect(webm.length).toBeGreaterThan(4096);
  const { end: span, blocks } = webmFrames(webm);
  console.log(`WebM export: ${webm.length} bytes, ${blocks} frames over ${span} ms, recording ${seconds.toFixed(2)} s played at 2x`);
  expect(blocks).toBeGreaterThan(1);
  expect(span).toBeGreaterThan(((seconds * 1000) / 2) * 0.5);
  expect(span).toBeLessThan(((seconds * 1000) / 2) * 2 + 2000);
});
