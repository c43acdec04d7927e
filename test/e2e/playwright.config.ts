import { defineConfig } from '@playwright/test';

// End-to-end tests of the real binary, real libvirtd and real test guests,
// driven through Debian's Chromium (never a downloaded browser).
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  workers: 1,
  fullyParallel: false,
  // The suite (scripts/test.sh) retries a failed test once: these tests drive
  // TCG guests on a busy two-core machine. A test that passes only on its
  // retry is reported as flaky at the end of the run, and test.sh prints
  // those again; every flake so far was a real bug, so each is looked into.
  retries: Number(process.env.E2E_RETRIES ?? 0),
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: '../../test-results/e2e',
  use: {
    viewport: { width: 1400, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
