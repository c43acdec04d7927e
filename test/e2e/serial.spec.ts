import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guestKernelRelease, root, state, testguest, virsh } from './env.ts';
import { login, logSize, shot, vm, waitGuestReady } from './helpers.ts';

// The serial console (Serial tab and pop-out window) against the real
// server, libvirt and test guests: what the user sees in the terminal, and
// what really happened in the guest (its ttyS1 log, where commands typed in
// the terminal write).

test.describe.configure({ mode: 'serial' });

const guestDir = process.env.KVM_TEST_GUEST_DIR ?? '/var/lib/libvirt/images/kvm-manager-test';

/** What the guest wrote to its ttyS1 log after offset since. */
function ttyS1(name: string, since: number): string {
  const p = join(guestDir, 'vms', name, 'ttyS1.log');
  return existsSync(p) ? readFileSync(p).subarray(since).toString() : '';
}

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The terminal of a VM's serial console (the region xterm.js renders into). */
function terminal(page: Page, vmName: string): Locator {
  return page.getByRole('region', { name: `Serial console of ${vmName}` });
}

/** The terminal's visible text (the region's rendered text, one row per line; its input box shows none). */
async function screenText(term: Locator): Promise<string> {
  return (await term.innerText()).replace(/\u00a0/g, ' ');
}

/** Types a command line into the terminal with the keyboard, as a user would (a click on the terminal focuses it). */
async function typeLine(page: Page, term: Locator, line: string): Promise<void> {
  await term.click();
  await page.keyboard.type(line, { delay: 15 });
  await page.keyboard.press('Enter');
}

async function openSerialTab(page: Page, name: string, uuid: string): Promise<Locator> {
  await page.goto(`${state().baseURL}/vms/local/${uuid}`);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await page.getByRole('tab', { name: 'Serial' }).click();
  expect(new URL(page.url()).pathname).toBe(`/vms/local/${uuid}/serial`);
  const term = terminal(page, name);
  await expect(term.getByRole('textbox', { name: `Serial console of ${name}: input` })).toBeAttached();
  await expect(page.getByTestId('serial-state')).toHaveText('Connected', { timeout: 30_000 });
  return term;
}

/** Runs `virsh console --force` (it needs a terminal: script gives it one) until stopped; output collects what it printed. */
function virshConsole(name: string): { proc: ChildProcess; output: () => string } {
  const proc = spawn('script', ['-qfc', `virsh -c qemu:///system console --force ${name}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

/** The global server's log lines that name the VM (for failure messages). */
function serverLogOf(uuid: string): string[] {
  try {
    return readFileSync(join(root, 'test-results', 'e2e-server.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(uuid));
  } catch {
    return [];
  }
}

const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

test.beforeAll(async () => {
  // Other specs power delta off and on; these tests need it running.
  const { name } = vm(3);
  if (virsh('domstate', name) !== 'running') {
    const since = logSize(name);
    virsh('start', name);
    await waitGuestReady(name, since);
  }
});

test('the Serial tab runs commands in the guest and keeps its output across a reload', async ({ page }) => {
  const { name, uuid } = vm(3);
  // What `uname -r` prints in the guest: whatever kernel the guest build took
  // from Debian (it moves on), as that build recorded it.
  const kernel = guestKernelRelease(guestDir);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await login(page);
  let term = await openSerialTab(page, name, uuid);

  await typeLine(page, term, 'uname -r');
  await expect.poll(() => screenText(term)).toMatch(new RegExp(`uname -r\\s*\\n${kernel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\n`));
  await shot(page, 'serial-console');
  expect(await seriousViolations(page), 'serial tab').toEqual([]);

  // A reload replays the server's scrollback. The replay holds the prompts'
  // cursor-position queries (ESC [ 6 n), which the terminal answers as it
  // parses them: none of those answers may be sent to the guest.
  const sent: string[] = [];
  page.on('websocket', (ws) => {
    if (ws.url().includes('/serial/ws')) ws.on('framesent', (f) => sent.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('latin1')));
  });
  await page.reload();
  term = terminal(page, name);
  await expect(page.getByTestId('serial-state')).toHaveText('Connected', { timeout: 30_000 });
  await expect.poll(() => screenText(term)).toContain(kernel);

  // Input reaches the guest, and nothing else does: the terminal answered the
  // replayed prompts' cursor queries, and none of that may be typed before
  // the command (a stray answer would break the line, and S=42 would not
  // appear). Shift+S is also the "shut down" shortcut: it must go to the guest.
  const actions: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/vms\/[^/]+\/[^/]+\/(start|shutdown|reboot|force-off|reset|pause|resume)$/.test(new URL(r.url()).pathname)) actions.push(r.url());
  });
  const since = logSize(name);
  const command = 'echo S=$((6*7)) >/dev/ttyS1';
  await typeLine(page, term, command);
  await expect
    .poll(() => ttyS1(name, since), { timeout: 20_000 })
    .toMatch(/(^|\n)S=42\r?\n/)
    .catch(async (e: unknown) => {
      // What the page and the server say, for the log of a failed run.
      const status = await page.getByTestId('serial-state').textContent().catch(() => '?');
      throw new Error(`${String(e)}\npage status: ${status}\nserver log of this VM (last lines):\n${serverLogOf(uuid).slice(-15).join('\n')}`);
    });
  // The guest has run the line, so whatever the page sent since the reload
  // (answers to the replay, a shortcut's request) was sent before it.
  // Only the typed line (its Enter as the terminal sends it), no answer to a replayed query (ESC [ row ; col R).
  // After the Enter, the live shell may ask where the cursor is (ESC [ 6 n)
  // as it prints its prompt, and the terminal answers: that is the guest's
  // own query, not a replayed one, so only such answers may follow.
  const input = sent.join('');
  const m = /^(.*?)[\r\n]+((?:\u001b\[\d+;\d+R)*)[\r\n]*$/s.exec(input);
  expect(m?.[1], `input sent since the reload: ${JSON.stringify(input)}`).toBe(command);
  expect(actions, 'power requests while typing in the terminal').toEqual([]);
  expect(virsh('domstate', name)).toBe('running');
  await expect(page.getByRole('alertdialog')).toHaveCount(0);

  // Ctrl+] leaves the terminal (as in virsh console); then the app's own keys work again.
  await page.keyboard.press('Control+BracketRight');
  await expect(page.getByRole('button', { name: 'Find in scrollback' })).toBeFocused();
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog')).toContainText('Leave the terminal');
  await page.keyboard.press('Escape');
  expect(errors).toEqual([]);
});

/**
 * How much of each cell's lower half a terminal row really shows in the
 * text colour, read from a screenshot of the row (the pixels Chromium drew,
 * not the terminal's buffer): per column, the longest run of text-coloured
 * pixels on one pixel line, as a share of the cell's width (0: nothing).
 */
async function inkPerCell(page: Page, term: Locator, line: string): Promise<number[]> {
  // The line as the terminal drew it: exactly the line (the command's row starts with "echo"), one cell per character.
  const row = term.getByText(line, { exact: true });
  await expect(row).toHaveCount(1);
  const box = await row.boundingBox();
  if (!box) throw new Error('the row is not on screen');
  const cols = line.length;
  const colours = { fg: await row.evaluate((el) => getComputedStyle(el).color), bg: await term.evaluate((el) => getComputedStyle(el).backgroundColor) };
  const png = await page.screenshot({ clip: box, scale: 'device', animations: 'disabled', caret: 'hide' });
  // Decoded in the page (no PNG decoder needed here): a Blob, not a data: URL, which the CSP refuses.
  return page.evaluate(
    async ({ bytes, fg, bg, cells, cssWidth }) => {
      const rgb = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
      const [f, b] = [rgb(fg), rgb(bg)];
      const bmp = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2d context');
      ctx.drawImage(bmp, 0, 0);
      const { data, width, height } = ctx.getImageData(0, 0, bmp.width, bmp.height);
      const cell = (cssWidth / cells.cols) * (width / cssWidth);
      const ink: number[] = [];
      for (let col = 0; col < cells.count; col++) {
        const x0 = Math.ceil(col * cell);
        const x1 = Math.floor((col + 1) * cell);
        let best = 0;
        for (let y = Math.floor(height / 2); y < height; y++) {
          let n = 0;
          for (let x = x0; x < x1; x++) {
            const o = (y * width + x) * 4;
            // How far the pixel is from the background towards the text colour, in each channel.
            const t = [0, 1, 2].map((i) => (f[i] === b[i] ? 1 : ((data[o + i] ?? 0) - (b[i] ?? 0)) / ((f[i] ?? 0) - (b[i] ?? 0))));
            if (Math.min(...t) > 0.3) n++;
          }
          best = Math.max(best, n / (x1 - x0));
        }
        ink.push(Math.round(best * 100) / 100);
      }
      return ink;
    },
    { bytes: [...png], fg: colours.fg, bg: colours.bg, cells: { cols, count: line.length }, cssWidth: box.width },
  );
}

test.describe('at device pixel ratio 1', () => {
  test.use({ deviceScaleFactor: 1 });

  test('underscores are drawn, not clipped (read from the screen pixels)', async ({ page }) => {
    const { name, uuid } = vm(3);
    await login(page);
    const term = await openSerialTab(page, name, uuid);
    expect(await page.evaluate(() => window.devicePixelRatio)).toBe(1);
    const line = 'snake_case __init__ x86_64';
    await typeLine(page, term, `echo ${line}`);
    // The guest's echo: a row holding exactly the line (the command's row starts with "echo").
    await expect.poll(() => screenText(term)).toMatch(new RegExp(`\\n${line}\\s*\\n`));
    const ink = await inkPerCell(page, term, line);
    const at = (c: string) => [...line].flatMap((ch, i) => (ch === c ? [i] : []));
    // Sanity of the measure: letters have ink low in their cell, spaces none.
    for (const i of at(' ')) expect(ink[i], `space at column ${i}`).toBe(0);
    for (const i of [0, 1, 2]) expect(ink[i], `"${line[i]}" at column ${i}`).toBeGreaterThan(0);
    // Every underscore shows as a line across most of its cell.
    const underscores = at('_').map((i) => ({ column: i, ink: ink[i] }));
    expect(underscores.filter((u) => (u.ink ?? 0) < 0.5), `underscores not drawn (ink per cell: ${JSON.stringify(ink)})`).toEqual([]);
  });
});

test('another client holding the console is named, and Take over works', async ({ page }) => {
  const { name, uuid } = vm(3);
  await login(page);
  const term = await openSerialTab(page, name, uuid);
  // The terminal keeps its size while notices come and go (a resize would reflow the screen and make the guest's stty wrong).
  const size = page.getByRole('button', { name: /^Terminal size \d+×\d+$/ });
  const frameBox = async () => JSON.stringify(await term.boundingBox());
  const sizeBefore = await size.textContent();
  const boxBefore = await frameBox();
  const { proc: other, output } = virshConsole(name);
  try {
    const held = page.getByTestId('serial-state');
    if (!(await held.filter({ hasText: 'Held by another client' }).waitFor({ timeout: 15_000 }).then(() => true, () => false))) {
      // libvirt 9.0 sometimes drops the console it hands to another
      // client without telling us (when guest output was on its way; see
      // checkResult in internal/console/serial). A user who types finds
      // out: input that gets no output makes the server check the console.
      await expect.poll(output, { timeout: 15_000, message: 'virsh console did not connect' }).toContain('Escape character');
      await term.click();
      await page.keyboard.press('Enter');
    }
    // A check may wait for the least gap between two checks (30 s) when
    // an earlier test's input was checked just before.
    await expect(held)
      .toHaveText('Held by another client', { timeout: 50_000 })
      .catch(async (e: unknown) => {
        // What the page says instead, for the log of a failed run.
        const status = await page.getByRole('status').allTextContents().catch(() => []);
        throw new Error(
          `${String(e)}\nvirsh console: exit ${other.exitCode}, printed ${JSON.stringify(output())}\npage status: ${JSON.stringify(status)}\n` +
            `server log of this VM (last lines):\n${serverLogOf(uuid).slice(-15).join('\n')}`,
        );
      });
    await expect(page.getByRole('status').filter({ hasText: 'Held by another client' })).toContainText('virsh console');
    await shot(page, 'serial-held');
    expect(await size.textContent(), 'terminal size with the "held" notice').toBe(sizeBefore);
    expect(await frameBox(), 'terminal frame with the "held" notice').toBe(boxBefore);
    expect(await seriousViolations(page), 'held').toEqual([]);

    await page.getByRole('button', { name: 'Take over' }).click();
    await expect(page.getByTestId('serial-state')).toHaveText('Connected', { timeout: 30_000 });
    await expect(page.getByRole('status').filter({ hasText: 'You have the console now' })).toBeVisible();
    expect(await size.textContent(), 'terminal size with the "you have it" notice').toBe(sizeBefore);
    expect(await frameBox(), 'terminal frame with the "you have it" notice').toBe(boxBefore);
    await expect.poll(() => exited(other), { timeout: 20_000, message: 'virsh console kept the console' }).toBe(true);
    const since = logSize(name);
    await typeLine(page, term, 'echo T=$((40+2)) >/dev/ttyS1');
    await expect.poll(() => ttyS1(name, since), { timeout: 20_000 }).toMatch(/(^|\n)T=42\r?\n/);
  } finally {
    if (!exited(other)) other.kill();
  }
});

test('the pop-out window shows the same console', async ({ page }) => {
  const { name, uuid } = vm(3);
  await login(page);
  const term = await openSerialTab(page, name, uuid);
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Open in a new window' }).click()]);
  await popup.waitForLoadState();
  expect(new URL(popup.url()).pathname).toBe(`/popout/serial/local/${uuid}`);
  await expect(popup.getByRole('heading', { level: 1, name })).toBeVisible();
  const popTerm = terminal(popup, name);
  await expect(popup.getByTestId('serial-state')).toHaveText('Connected', { timeout: 30_000 });
  await typeLine(popup, popTerm, 'echo POP=$((20+22))');
  await expect.poll(() => screenText(popTerm)).toMatch(/\nPOP=42\s*\n/);
  // Both windows watch the one console.
  await expect.poll(() => screenText(term)).toMatch(/\nPOP=42\s*\n/);
  expect(await seriousViolations(popup), 'pop-out window').toEqual([]);
  await popup.close();
});

test('the terminal size hint types stty for the guest', async ({ page }) => {
  const { name, uuid } = vm(3);
  await login(page);
  const term = await openSerialTab(page, name, uuid);
  const size = page.getByRole('button', { name: /^Terminal size \d+×\d+$/ });
  const m = /(\d+)×(\d+)/.exec((await size.textContent()) ?? '');
  const [cols, rows] = [Number(m?.[1]), Number(m?.[2])];
  expect(cols).toBeGreaterThan(80);
  expect(rows).toBeGreaterThan(10);
  await size.click();
  await expect(page.getByText(`stty rows ${rows} cols ${cols}`)).toBeVisible();
  await page.getByRole('button', { name: 'Type it in the console' }).click();
  await page.keyboard.press('Enter');
  const since = logSize(name);
  await typeLine(page, term, 'stty size >/dev/ttyS1');
  await expect.poll(() => ttyS1(name, since), { timeout: 20_000 }).toContain(`${rows} ${cols}`);
});

test('search finds text in the scrollback, and pasting goes through in frames', async ({ page, context }) => {
  const { name, uuid } = vm(3);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: state().baseURL });
  await login(page);
  const term = await openSerialTab(page, name, uuid);
  await typeLine(page, term, 'echo FINDME-$((3*3))');
  await expect.poll(() => screenText(term)).toContain('FINDME-9');

  await page.keyboard.press('Control+Shift+F');
  const find = page.getByRole('searchbox', { name: 'Find in scrollback' });
  await expect(find).toBeFocused();
  await find.fill('FINDME-9');
  await expect(page.getByRole('search')).toContainText(/\d+ of \d+/);
  await find.press('Escape');
  await expect(find).toHaveCount(0);

  // A paste bigger than one WebSocket frame (4 KiB): many no-op lines, then a command.
  const filler = Array.from({ length: 60 }, (_, i) => `: ${String(i).padStart(2, '0')} ${'x'.repeat(90)}`).join('\n');
  const since = logSize(name);
  await page.evaluate((t) => navigator.clipboard.writeText(t), `${filler}\necho PASTE=$((6*7)) >/dev/ttyS1\n`);
  await page.getByRole('button', { name: 'Paste' }).click();
  await expect.poll(() => ttyS1(name, since), { timeout: 60_000 }).toMatch(/(^|\n)PASTE=42\r?\n/);

  // Too much at once is refused, with a reason.
  await page.evaluate((t) => navigator.clipboard.writeText(t), 'y'.repeat(100_000));
  await page.getByRole('button', { name: 'Paste' }).click();
  await expect(page.getByText('Too much to paste into a serial console at once')).toBeVisible();
});

test('binary garbage from the guest does not break the page', async ({ page }) => {
  const { name, uuid } = vm(3);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await login(page);
  const term = await openSerialTab(page, name, uuid);
  // Invalid UTF-8, an 8-bit CSI, NUL, a cut escape sequence, then 32 KiB of machine code.
  const before = logSize(name);
  await typeLine(page, term, "printf '\\377\\376\\300\\200\\233\\000\\033['; dd if=/bin/busybox bs=4k count=8 2>/dev/null; echo; echo END$((1+1)) >/dev/ttyS1");
  // The guest has written it all once its marker is in the log.
  await expect.poll(() => ttyS1(name, before), { timeout: 20_000 }).toMatch(/(^|\n)END2\r?\n/);
  await expect(page.getByTestId('serial-state')).toHaveText('Connected');
  await page.getByRole('button', { name: 'Clear screen' }).click();
  await term.click();
  await page.keyboard.press('Control+C');
  const since = logSize(name);
  await typeLine(page, term, 'echo G=$((5*5)) >/dev/ttyS1');
  await expect.poll(() => ttyS1(name, since), { timeout: 20_000 }).toMatch(/(^|\n)G=25\r?\n/);
  // The page still works, and a reload replays the garbage without harm.
  await page.reload();
  await expect(page.getByTestId('serial-state')).toHaveText('Connected', { timeout: 30_000 });
  await expect(page.getByRole('tab', { name: 'Serial' })).toHaveAttribute('aria-selected', 'true');
  expect(errors).toEqual([]);
});

test.describe('a VM without a serial console', () => {
  let name = '';

  test.beforeAll(() => {
    name = `${vm(0).name.replace(/-alpha$/, '')}-noserial`;
    testguest('create', '--name', name, '--no-serial', '--start');
  });
  test.afterAll(() => {
    if (name) testguest('remove', '--name', name);
  });

  test('says so, adds one for the next start, and then shows the boot', async ({ page }) => {
    test.setTimeout(300_000);
    const uuid = virsh('domuuid', name);
    await login(page);
    await page.goto(`${state().baseURL}/vms/local/${uuid}/serial`);
    await expect(page.getByRole('heading', { name: 'This VM has no serial console' })).toBeVisible({ timeout: 30_000 });
    await shot(page, 'serial-no-console');
    expect(await seriousViolations(page), 'no console').toEqual([]);

    const panel = page.getByRole('heading', { name: 'This VM has no serial console' }).locator('..');
    await panel.getByRole('button', { name: 'Add serial console' }).click();
    await expect(panel).toContainText(/takes effect when the VM next starts/);
    // The stored configuration has it; the running VM does not, yet.
    expect(virsh('dumpxml', '--inactive', name)).toContain("<serial type='pty'>");
    expect(virsh('dumpxml', name)).not.toContain('<serial');

    // Off and on again (from the console's own Start VM button): the console appears.
    virsh('destroy', name);
    await expect(page.getByTestId('serial-state')).toHaveText('VM stopped', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Start VM' }).click();
    await expect(page.getByTestId('serial-state')).toHaveText('Connected', { timeout: 60_000 });
    const term = terminal(page, name);
    // The guest may still be booting: Enter until its shell answers.
    await term.click();
    await expect
      .poll(
        async () => {
          if ((await screenText(term)).includes('kvmtest#')) return true;
          await page.keyboard.press('Enter');
          return false;
        },
        { timeout: 90_000, intervals: [2000] },
      )
      .toBe(true);
    const boots = async () => [...(await screenText(term)).matchAll(/KVMTEST-READY boot=(\S+)/g)].map((m) => m[1]);
    const before = await boots();

    // With the console open, a stop says "VM stopped", and a start reopens
    // it by itself: the new boot's output appears without a reload.
    virsh('destroy', name);
    await expect(page.getByTestId('serial-state')).toHaveText('VM stopped', { timeout: 30_000 });
    await expect(page.getByRole('status').filter({ hasText: 'VM stopped.' })).toBeVisible();
    virsh('start', name);
    await expect(page.getByTestId('serial-state')).toHaveText('Connected', { timeout: 60_000 });
    await expect.poll(async () => (await boots()).filter((b) => !before.includes(b)), { timeout: 90_000 }).toHaveLength(1);
  });
});
