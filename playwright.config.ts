// Playwright end-to-end tests in real Chromium (`npm run test:e2e`). The global setup builds
// the demo and the widget, serves dist/ with COOP/COEP on 127.0.0.1 (a free port), and never
// touches the network. Chromium comes from the system (CHROMIUM_PATH, default
// /usr/bin/chromium): `npx playwright install` is not needed.
import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './tests/e2e/browser.js';

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  // Failure artefacts go where git and npm pack never look.
  outputDir: 'node_modules/.cache/xnor-e2e-results',
  globalSetup: './tests/e2e/global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  // One retry in CI: on 2 shared cores a descheduled main thread can stretch one task past the
  // responsiveness spec's 50 ms; a real regression fails both tries.
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath(), args: chromiumArgs({ fakeCamera: true }) },
    serviceWorkers: 'block',
    trace: 'off',
  },
});
