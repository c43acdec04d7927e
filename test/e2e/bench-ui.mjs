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
const last = all[all.length - 1].name; // the API sorts by host, then name, as the dashboard does by default

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await ctx.newPage();
await page.goto(`${url}/login?token=${token}`); // sets the session cookie
await page.getByText(`${all.length} VMs`, { exact: true }).first().waitFor();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = [];
const scroll = [];
for (let i = 0; i < runs; i++) {
  const t0 = Date.now();
  await page.goto(`${url}/`);
  // Rendered: the count of all VMs is shown and the first screen of cards is in the DOM.
  await page.getByText(`${all.length} VMs`, { exact: true }).first().waitFor();
  await page.getByRole('article').first().waitFor();
  load.push(Date.now() - t0);

  const t1 = Date.now();
  await page.keyboard.press('End');
  await page.evaluate(() => {
    for (const el of document.querySelectorAll('*')) {
      if (el.scrollHeight > el.clientHeight + 10 && getComputedStyle(el).overflowY !== 'visible') el.scrollTop = el.scrollHeight;
    }
    window.scrollTo(0, document.body.scrollHeight);
  });
  await page.getByRole('article', { name: last }).waitFor();
  scroll.push(Date.now() - t1);
}
const inDom = await page.getByRole('article').count();

// Idle cost: back at the top of the dashboard, nothing happening, the CPU
// time of all of Chromium's processes (every descendant of this node
// process) over 30 s, from /proc (utime + stime, in clock ticks of 1/100 s).
await page.goto(`${url}/`);
await page.getByRole('article').first().waitFor();
await page.waitForTimeout(5000); // history loads and thumbnails settle
const idleSec = 30;
const c0 = chromiumTicks();
const t0 = Date.now();
await page.waitForTimeout(idleSec * 1000);
const c1 = chromiumTicks();
const wall = (Date.now() - t0) / 1000;
const idlePct = ((c1 - c0) / 100 / wall) * 100;
await browser.close();

console.log(`dashboard with ${all.length} VMs (${n} from the bench), ${runs} runs in headless Chromium:`);
console.log(`  navigation -> all ${all.length} VMs listed and the first screen of cards rendered: median ${median(load)} ms (runs: ${load.join(', ')} ms; target <= 1000 ms)`);
console.log(`  scroll to the last VM -> its card rendered: median ${median(scroll)} ms (runs: ${scroll.join(', ')} ms)`);
console.log(`  cards in the DOM at a time (virtualised): ${inDom}`);
console.log(`  idle dashboard, all Chromium processes: ${idlePct.toFixed(2)} % of a core over ${wall.toFixed(0)} s (target < 1 %)`);
