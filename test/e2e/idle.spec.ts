import { expect, test, type Page } from '@playwright/test';
import { virsh } from './env.ts';
import { card, login, typeInGuest, vm } from './helpers.ts';

// Issue 13, "Live data without re-rendering cards" and "Idle cost": a stats
// tick changes only the live figures of a card (its sparklines and values),
// a still screen's thumbnail is fetched once and not polled, and a hidden
// page asks the server for nothing. vm(3) is the running guest.

test.beforeEach(() => {
  const name = vm(3).name;
  if (virsh('domstate', name).trim() !== 'running') virsh('start', name);
});

/** Makes the page look hidden (or visible again) to its code, as switching tabs does. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    if (h) Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    else delete (document as { visibilityState?: string }).visibilityState;
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

test('a stats tick changes only the live figures of running VMs\u2019 cards, nothing of the others', async ({ page }) => {
  test.setTimeout(60_000);
  await login(page);
  const running = card(page, vm(3).name);
  // Stats have arrived: the CPU sparkline has a path.
  await expect(running.locator('svg.spark-cpu path.spark-line')).toHaveAttribute('d', /^M/, { timeout: 20_000 });
  // Every DOM change inside the cards from now on, by card and place.
  await page.evaluate(() => {
    const w = window as unknown as { cardChanges: { vm: string; live: boolean; what: string }[] };
    w.cardChanges = [];
    const live = (n: Node) => {
      const el = n instanceof Element ? n : n.parentElement;
      return !!el?.closest('svg.spark, [data-testid="card-cpu"], [data-testid="card-memory"], [data-testid="vm-thumbnail"]');
    };
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target instanceof Element ? r.target : r.target.parentElement;
        const article = el?.closest('article');
        if (!article) continue;
        w.cardChanges.push({ vm: article.getAttribute('aria-label') ?? '?', live: live(r.target), what: `${r.type} ${r.attributeName ?? ''} on ${el?.tagName ?? '?'}.${el?.getAttribute('class') ?? ''}` });
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  // Several ticks (one every 2 s).
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { cardChanges: { vm: string; live: boolean }[] }).cardChanges.filter((c) => c.live).length), { timeout: 30_000 })
    .toBeGreaterThanOrEqual(4);
  const changes = await page.evaluate(() => (window as unknown as { cardChanges: { vm: string; live: boolean; what: string }[] }).cardChanges);
  const runningNames = new Set<string>();
  for (const a of await page.getByRole('article').all()) {
    if (await a.locator('svg.spark').count()) runningNames.add((await a.getAttribute('aria-label')) ?? '');
  }
  // Only the live parts changed, and only on cards that have them.
  expect(changes.filter((c) => !c.live)).toEqual([]);
  expect(changes.filter((c) => !runningNames.has(c.vm))).toEqual([]);
  expect(changes.some((c) => c.vm === vm(3).name)).toBe(true);
});

test('a still screen\u2019s thumbnail is fetched once, not polled; a hidden page asks for nothing', async ({ page }) => {
  test.setTimeout(150_000);
  const guest = vm(3);
  const requests: { url: string; etag: string | null; at: number }[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/') || u.pathname.startsWith('/assets/')) requests.push({ url: `${r.method()} ${u.pathname}`, etag: r.headers()['if-none-match'] ?? null, at: Date.now() });
  });
  const thumb = `GET /api/v1/hosts/local/vms/${guest.uuid}/thumbnail`;
  await login(page);
  await page.getByLabel('Search VMs').fill(guest.name);
  const img = card(page, guest.name).getByRole('img', { name: `Screen of ${guest.name}` });
  await expect(img).toBeVisible({ timeout: 30_000 });
  // The guest's screen stays as it is (only its cursor blinks): over 25 s
  // the card asks for no thumbnail again (it polled every 10 s before,
  // which makes two or three fetches in that time),
  // and the page only renews its watch of the cards on screen.
  const since = Date.now();
  await page.waitForTimeout(25_000);
  // A blinking cursor is announced at most once a minute (so that a card's
  // picture is never more than a minute old): one fetch may fall in the
  // window when the card's first picture was already older; polling every
  // 10 s made two or more.
  const asked = requests.filter((r) => r.at >= since);
  expect(asked.filter((r) => r.url === thumb).length, 'thumbnail fetches in 25 s').toBeLessThanOrEqual(1);
  expect(asked.map((r) => r.url).filter((u) => u !== 'POST /api/v1/thumbnails/watch' && u !== thumb)).toEqual([]);

  // Hidden: nothing at all, even when the screen changes meanwhile.
  await setHidden(page, true);
  const hiddenSince = Date.now();
  typeInGuest(guest.name, 'echo idle-spec\n');
  // The server announces a changed screen within seconds (the visible part
  // below waits for that announcement); 12 s leave room for several.
  await page.waitForTimeout(12_000);
  expect(requests.filter((r) => r.at >= hiddenSince)).toEqual([]);

  // Visible again: the card learns of the new picture and fetches it, with the ETag it holds.
  const shownSince = Date.now();
  const before = await img.getAttribute('src');
  await setHidden(page, false);
  await expect.poll(() => requests.filter((r) => r.at >= shownSince && r.url === thumb).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  expect(requests.find((r) => r.at >= shownSince && r.url === thumb)?.etag).toMatch(/^"t[0-9a-f]{24}"$/);
  await expect(img).not.toHaveAttribute('src', before ?? '', { timeout: 15_000 });
});
