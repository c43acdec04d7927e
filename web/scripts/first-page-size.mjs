// Reports the gzipped size of the JS and CSS the first page loads (what
// dist/index.html references, and the static imports of those scripts), and
// fails when it is over the budget (250 KB by default; KB = 1000 bytes).
//   node scripts/first-page-size.mjs [budgetKB]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const budget = Number(process.argv[2] ?? 250) * 1000;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const refs = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const seen = new Set();
const queue = [...refs];
while (queue.length) {
  const f = queue.shift();
  if (seen.has(f)) continue;
  seen.add(f);
  if (f.endsWith('.js')) {
    const code = readFileSync(join(dist, f), 'utf8');
    // Static imports only: lazy chunks (import("…")) are not part of the first page.
    for (const m of code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[\w${},\s*]+from\s*)?["']\.\/([^"']+\.js)["']/g)) queue.push(`assets/${m[1]}`);
  }
}
let total = 0;
for (const f of seen) {
  const gz = gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
  total += gz;
  console.log(`${(gz / 1000).toFixed(1).padStart(8)} kB  ${f}`);
}
console.log(`${(total / 1000).toFixed(1).padStart(8)} kB  first page, gzipped (budget ${budget / 1000} kB)`);
if (total > budget) {
  console.error('over budget');
  process.exit(1);
}
