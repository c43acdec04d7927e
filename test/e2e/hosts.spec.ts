import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './env.ts';
import { login, shot } from './helpers.ts';

test('the status bar follows libvirtd going away and coming back', async ({ page }) => {
  await login(page);
  const bar = page.getByRole('contentinfo', { name: 'Status bar' });
  await expect(bar).toContainText('local: connected');
  execFileSync('pkill', ['-9', '-x', 'libvirtd']);
  try {
    await expect(bar).toContainText(/local: (reconnecting|failed)/);
    await shot(page, 'host-reconnecting');
  } finally {
    execFileSync(join(root, 'scripts', 'setup-libvirt.sh'), { stdio: 'ignore' });
  }
  await expect(bar).toContainText('local: connected', { timeout: 30_000 });
});

test('the UI says when the server is unreachable and recovers', async ({ page }) => {
  await login(page);
  // Block the API from the page's point of view: the same effect as the
  // server going away, without stopping the shared server.
  await page.route('**/api/v1/**', (route) => route.abort('connectionrefused'));
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await page.reload();
  await expect(page.getByRole('alert').or(page.getByRole('status')).filter({ hasText: /unreachable|cannot reach|offline|connection/i }).first()).toBeVisible({ timeout: 30_000 });
  await page.unroute('**/api/v1/**');
  await expect(page.getByRole('contentinfo', { name: 'Status bar' })).toContainText('local: connected', { timeout: 30_000 });
});
