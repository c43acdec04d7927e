import { expect, test, type Page } from '@playwright/test';
import { state, virsh } from './env.ts';
import { card, login, shot, vm } from './helpers.ts';

// Issue 13, items 2 and 8: memory reads "used of total" (the host's
// resident size apart, labelled), graph axes contain their data in round
// ticks of one unit, legends show the newest values without a hover, and a
// time range can be chosen. vm(3) is the running guest.

interface Sample {
  memoryUsedKiB?: number;
  memoryTotalKiB?: number;
  memoryRssKiB?: number;
  cpuPercent?: number;
}

// Earlier specs may have stopped the running guest (fault and restart
// tests): these tests need it running, with stats arriving.
test.beforeEach(() => {
  const name = vm(3).name;
  if (virsh('domstate', name).trim() !== 'running') virsh('start', name);
});

async function samples(page: Page, uuid: string): Promise<Sample[]> {
  const res = await page.request.get(`${state().baseURL}/api/v1/hosts/local/vms/${uuid}/stats`);
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { samples: Sample[] }).samples;
}

function chart(page: Page, title: string) {
  return page.locator('figure.chart').filter({ has: page.locator('figcaption', { hasText: title }) });
}

test('a card says how much memory the guest uses of what it has, never the host figure as use', async ({ page }) => {
  const target = vm(3);
  await login(page);
  // "N of M MiB": what the guest uses of its memory, or "? of 192 MiB"
  // while the guest reports none.
  const mem = card(page, target.name).getByText(/^(\?|[\d.]+( [KMG]iB)?) of [\d.]+ [KMG]iB$/);
  await expect(mem).toBeVisible({ timeout: 15_000 });
  await expect(mem).toHaveAttribute('title', /guest/i);
  const rss = (await samples(page, target.uuid)).map((s) => s.memoryRssKiB ?? 0).filter((v) => v > 0);
  if (rss.length > 0) await expect(mem).toHaveAttribute('title', /Host: the QEMU process holds/);
});

test('the Overview graphs: axes contain the data in one unit, legends show the newest values, a range can be chosen', async ({ page }) => {
  const target = vm(3);
  await login(page);
  await page.goto(`${state().baseURL}/vms/local/${target.uuid}`);
  await expect(page.getByRole('heading', { level: 1, name: target.name })).toBeVisible();

  // Legends show values without any hover: the CPU legend's value is a percentage.
  const cpu = chart(page, 'CPU');
  await expect(cpu.locator('.u-legend .u-series').nth(1).locator('.u-value')).toHaveText(/^[\d.]+%$/, { timeout: 15_000 });
  await expect(cpu.locator('.u-legend .u-series').first().locator('.u-value')).not.toHaveText(/--/);

  // Memory: the top tick is at or above everything drawn (guest use and host RSS).
  const memChart = chart(page, 'Memory');
  await expect(memChart).toHaveAttribute('data-axis-max', /\d/);
  await expect
    .poll(async () => {
      const s = await samples(page, target.uuid);
      const max = Math.max(0, ...s.map((x) => Math.max(x.memoryUsedKiB ?? 0, x.memoryRssKiB ?? 0) * 1024));
      const top = Number(await memChart.getAttribute('data-axis-max'));
      return top >= max && max > 0;
    })
    .toBe(true);
  await expect(memChart.getByText(/host holds [\d.]+ [KMG]iB/)).toBeVisible();

  // One unit per axis: every tick label of each chart ends in the same unit.
  for (const title of ['CPU', 'Memory', 'Disk I/O']) {
    const ticks = ((await chart(page, title).getAttribute('data-ticks')) ?? '').split('|');
    expect(ticks.length, `${title} ticks`).toBeGreaterThan(1);
    const units = new Set(ticks.map((t) => t.replace(/^[\d.]+\s*/, '')));
    expect([...units], `${title} tick units: ${ticks.join(', ')}`).toHaveLength(1);
  }

  // The range: 5 min by default; 1 h asks the server for an hour and widens the span.
  await expect(page.getByRole('button', { name: '5 min' })).toHaveAttribute('aria-pressed', 'true');
  await expect(cpu).toHaveAttribute('data-window-seconds', '300');
  await expect(page.getByTestId('history-note')).toContainText(/keeps up to 24 h/);
  const asked = page.waitForRequest((r) => r.url().includes(`/vms/${target.uuid}/stats?range=1h`));
  await page.getByRole('button', { name: '1 h' }).click();
  await asked;
  await expect(page.getByRole('button', { name: '1 h' })).toHaveAttribute('aria-pressed', 'true');
  await expect(cpu).toHaveAttribute('data-window-seconds', '3600');
  await expect(page.getByTestId('history-note')).toContainText('the last hour');
  await page.getByRole('button', { name: '5 min' }).click();
  await expect(cpu.locator('.u-legend .u-series').nth(1).locator('.u-value')).toHaveText(/^[\d.]+%$/);
  await shot(page, 'vm-graphs');
});

test('a VM without network interfaces says so in a line, not an empty chart', async ({ page }) => {
  const target = vm(3);
  await login(page);
  // The test guest has no network interface.
  const res = await page.request.get(`${state().baseURL}/api/v1/hosts/local/vms/${target.uuid}`);
  expect(((await res.json()) as { nics?: unknown[] }).nics ?? []).toHaveLength(0);
  await page.goto(`${state().baseURL}/vms/local/${target.uuid}`);
  await expect(chart(page, 'Disk I/O')).toBeVisible();
  await expect(page.getByText('Network I/O: this VM has no network interfaces.')).toBeVisible();
  await expect(chart(page, 'Network I/O')).toHaveCount(0);
});
