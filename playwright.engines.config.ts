// The cross-engine browser suite (`npm run test:engines`, tests/e2e/engines/*.engine.ts): the
// same checks in Chromium, Firefox and WebKit, each from Debian's packages (chromium,
// firefox-esr, webkit2gtk-driver + xvfb; see tests/e2e/engines/launch.ts for the drivers), on
// the e2e global setup's COOP/COEP server. Projects run one after another (one worker); the
// last, `report`, builds the README's "Browser support" table from what they recorded.
import { defineConfig } from '@playwright/test';
import type { EngineMeta } from './tests/e2e/engines/fixtures.js';

const engines: { name: string; metadata: EngineMeta; testMatch?: string }[] = [
  { name: 'chromium', metadata: { engine: 'chromium' } },
  { name: 'firefox', metadata: { engine: 'firefox' } },
  { name: 'webkit', metadata: { engine: 'webkit' } },
  // WebKit with JSC_useSharedArrayBuffer=1: its threads path, which is off by default.
  { name: 'webkit-sab', metadata: { engine: 'webkit', sharedArrayBuffer: true }, testMatch: 'capabilities.engine.ts' },
];

export default defineConfig({
  testDir: 'tests/e2e/engines',
  outputDir: 'node_modules/.cache/xnor-engines-results',
  globalSetup: './tests/e2e/engines/global-setup.ts',
  timeout: 180_000,
  fullyParallel: false,
  workers: 1,
  // One retry in CI, as the e2e suite: 2 shared cores (the memory check reads a whole process tree).
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  projects: [
    ...engines.map((e) => ({ name: e.name, metadata: e.metadata, testMatch: e.testMatch ?? '*.engine.ts', testIgnore: 'report.engine.ts' })),
    { name: 'report', testMatch: 'report.engine.ts', dependencies: engines.map((e) => e.name) },
  ],
});
