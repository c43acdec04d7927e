// Web UI benchmark, run by kvm-bench vms --after against a server holding
// KVM_BENCH_VMS VMs: how long the dashboard takes to show them in Debian's
// Chromium, and how long scrolling to the last one takes. Prints figures; it
// never fails on a target.
import { chromium } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ticks (utime + stime) of every descendant of this process: the browser's processes. */
function chromiumTicks() {
  const parent = new Map();
  const ticks = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      ticks.set(Number(d), Number(f[11]) + Number(f[12]));
    } catch {
      // gone meanwhile
    }
  }
  let sum = 0;
  for (const [pid, t] of ticks) {
    let p = parent.get(pid);
    for (let i = 0; i < 20 && p && p !== process.pid; i++) p = parent.get(p);
    if (p === process.pid) sum += t;
  }
  return sum;
}

const url = process.env.KVM_BENCH_URL;
const token = process.env.KVM_BENCH_TOKEN;
const n = Number(process.env.KVM_BENCH_VMS);
if (!url || !token || !n) {
  console.error('bench-ui: run me through kvm-bench vms --after (KVM_BENCH_URL, KVM_BENCH_TOKEN, KVM_BENCH_VMS)');
  process.exit(2);
}
const runs = 5;

const res = await fetch(`${url}/api/v1/vms`, { headers: { Authorization: `Bearer ${token}` } });
const all = (await res.json()).vms;
// The API sorts by host, then name, as the dashboard does by default.

const launch = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
const first = all.find((v) => v.name.startsWith('kmbench-'))?.name ?? all[0].name; // the bench's first filler: other VMs come and go
const idleRuns = Math.max(1, Number(process.env.KVM_BENCH_IDLE_RUNS ?? 2));
// The minute; KVM_BENCH_IDLE_SEC shortens it for a quick look.
const idleSec = Math.max(5, Number(process.env.KVM_BENCH_IDLE_SEC ?? 60));

/** CPU of all of Chromium's processes over idleSec of nothing happening, in % of a core. */
async function idleCPU(page) {
  const c0 = chromiumTicks();
  const t0 = Date.now();
  await page.waitForTimeout(idleSec * 1000);
  const c1 = chromiumTicks();
  return ((c1 - c0) / 100 / ((Date.now() - t0) / 1000)) * 100;
}

// For reference: the same Chromium with an empty page, the floor the dashboard cannot go below.
const blank = [];
{
  const browser = await launch();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await page.goto('about:blank');
  await page.waitForTimeout(5000); // the browser's own start-up settles
  for (let i = 0; i < idleRuns; i++) blank.push(await idleCPU(page));
  await browser.close();
}

const browser = await launch();
const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await ctx.newPage();
await page.goto(`${url}/login?token=${token}`); // sets the session cookie
// The count of VMs the dashboard lists: the bench's n and whatever other VMs
// the host has at the moment (they come and go while other work runs).
const listed = page.getByText(/^\d+ VMs$/).first();
await listed.waitFor();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = [];
const scroll = [];
for (let i = 0; i < runs; i++) {
  const t0 = Date.now();
  await page.goto(`${url}/`);
  // Rendered: the count of all VMs is shown, the first screen of cards is
  // in the DOM, and the sidebar's tree lists the first VM.
  await listed.waitFor();
  await page.getByRole('article').first().waitFor();
  await page.getByRole('tree', { name: 'Hosts and VMs' }).getByText(first, { exact: true }).first().waitFor();
  load.push(Date.now() - t0);

  // Other VMs on the host come and go: the last one as listed now.
  const now = (await (await fetch(`${url}/api/v1/vms`, { headers: { Authorization: `Bearer ${token}` } })).json()).vms;
  const lastNow = now[now.length - 1].name;
  const t1 = Date.now();
  await page.keyboard.press('End');
  await page.evaluate(() => {
    for (const el of document.querySelectorAll('*')) {
      if (el.scrollHeight > el.clientHeight + 10 && getComputedStyle(el).overflowY !== 'visible') el.scrollTop = el.scrollHeight;
    }
    window.scrollTo(0, document.body.scrollHeight);
  });
  await page.getByRole('article', { name: lastNow, exact: true }).waitFor();
  scroll.push(Date.now() - t1);
}
const inDom = await page.getByRole('article').count();
const shown = Number((await listed.textContent()).split(' ')[0]);
if (shown < n) throw new Error(`the dashboard lists ${shown} VMs, fewer than the bench's ${n}`);

// Idle cost: back at the top of the dashboard, nothing happening, the CPU
// time of all of Chromium's processes (every descendant of this node
// process) over idleSec (60 s), from /proc (utime + stime, in clock ticks of 1/100 s).
// Twice: the first screen as it opens (the bench's filler VMs are shut off),
// and filtered to the running VMs, whose cards draw live sparklines and
// thumbnails.
await page.goto(`${url}/`);
await page.getByRole('article').first().waitFor();
await page.waitForTimeout(5000); // history loads and thumbnails settle
const idleFirst = [];
for (let i = 0; i < idleRuns; i++) idleFirst.push(await idleCPU(page));
await page.getByRole('combobox', { name: /^State/ }).selectOption('running');
await page.getByRole('article').first().waitFor();
const liveCards = await page.locator('article:has(svg.spark)').count();
const thumbs = await page.getByTestId('vm-thumbnail').count();
await page.waitForTimeout(5000);
const idleLive = [];
for (let i = 0; i < idleRuns; i++) idleLive.push(await idleCPU(page));
await browser.close();

const pct = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
const met = (xs) => (Math.max(...xs) < 1 ? 'yes' : 'no');
console.log(`dashboard with ${shown} VMs (${n} from the bench), ${runs} runs in headless Chromium:`);
console.log(`  navigation -> all ${shown} VMs listed, the first screen of cards and the sidebar drawn: median ${median(load)} ms (runs: ${load.join(', ')} ms; target <= 1000 ms; met: ${median(load) <= 1000 ? 'yes' : 'no'})`);
console.log(`  scroll to the last VM -> its card rendered: median ${median(scroll)} ms (runs: ${scroll.join(', ')} ms)`);
console.log(`  cards in the DOM at a time (virtualised): ${inDom}`);
console.log(`  idle, all Chromium processes, % of a core over ${idleSec} s each (target < 1 %):`);
console.log(`    dashboard, first screen: ${pct(idleFirst)} (met: ${met(idleFirst)})`);
console.log(`    dashboard filtered to the ${liveCards} running VMs (${thumbs} thumbnails): ${pct(idleLive)} (met: ${met(idleLive)})`);
console.log(`    for reference, an empty page (about:blank): ${pct(blank)}`);
