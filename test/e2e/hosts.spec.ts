import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { root, saveState, startServer, state } from './env.ts';
import { login, shot } from './helpers.ts';

test('the status bar follows libvirtd going away and coming back', async ({ page }) => {
  await login(page);
  const bar = page.getByRole('contentinfo', { name: 'Status bar' });
  await expect(bar).toContainText('local: connected');
  execFileSync('pkill', ['-9', '-x', '-u', 'root', 'libvirtd']); // root's: not kvmtest's session daemon
  try {
    await expect(bar).toContainText(/local: (reconnecting|failed)/);
    await shot(page, 'host-reconnecting');
  } finally {
    execFileSync(join(root, 'scripts', 'setup-libvirt.sh'), { stdio: 'ignore' });
  }
  await expect(bar).toContainText('local: connected', { timeout: 30_000 });
});

test('a server restart: the UI says the server is unreachable, then recovers by itself', async ({ page }) => {
  await login(page);
  const s = state();
  const bar = page.getByRole('contentinfo', { name: 'Status bar' });
  await expect(bar).toContainText('local: connected');
  process.kill(s.serverPid, 'SIGTERM');
  await expect(page.getByText(/cannot be reached/i).first()).toBeVisible({ timeout: 30_000 });
  await shot(page, 'server-unreachable');
  // Same address, same token, same data dir: the session survives.
  const { pid } = await startServer(new URL(s.baseURL).host, s.token, s.dataDir);
  saveState({ ...s, serverPid: pid });
  await expect(bar).toContainText('local: connected', { timeout: 30_000 });
  await expect(page.getByText(/cannot be reached/i)).toHaveCount(0);
  await expect(page.getByLabel('Access token')).toHaveCount(0);
  await expect(page.getByRole('article', { name: s.vms[0].name })).toBeVisible();
});
