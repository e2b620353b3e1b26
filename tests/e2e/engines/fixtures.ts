// The cross-engine suite's test fixture: `engine`, one browser per Playwright worker, chosen by
// the project (playwright.engines.config.ts: chromium, firefox, webkit, webkit-sab), and
// `record`, which files facts for the README's browser-support table (./results.ts).
import { test as base } from '@playwright/test';
import { type Engine, type EngineName, type EnginePage, launch, missingBinaries } from './launch.js';
import { type EngineResults, recordResult } from './results.js';

export interface EngineMeta {
  engine: EngineName;
  /** WebKit started with JSC_useSharedArrayBuffer=1. */
  sharedArrayBuffer?: boolean;
}

export function baseUrl(): string {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error('E2E_BASE_URL is not set: run through `npm run test:engines` (global setup)');
  return url;
}

export const test = base.extend<
  { openApi: () => Promise<EnginePage>; record: (patch: Partial<EngineResults>) => void },
  { engine: Engine }
>({
  engine: [
    async ({}, use, workerInfo) => {
      const meta = workerInfo.project.metadata as EngineMeta;
      const missing = missingBinaries(meta.engine);
      if (missing.length) throw new Error(`${meta.engine}: missing ${missing.join(', ')} (bash .ci/run installs them)`);
      const engine = await launch(meta.engine, { sharedArrayBuffer: meta.sharedArrayBuffer });
      console.log(`engines: ${workerInfo.project.name}: ${engine.version}`);
      await use(engine);
      await engine.close();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  // The library on a bare cross-origin-isolated page (web/demo/api.html: window.xnor).
  openApi: async ({ engine }, use) => {
    const pages: EnginePage[] = [];
    await use(async () => {
      const page = await engine.newPage(`${baseUrl()}/demo/api.html`);
      pages.push(page);
      await page.evaluate(async () => {
        for (let i = 0; i < 600 && document.getElementById('status')?.textContent !== 'ready'; i++) await new Promise((ok) => setTimeout(ok, 50));
        if (document.getElementById('status')?.textContent !== 'ready') throw new Error('api.html did not get ready');
      }, null);
      return page;
    });
    for (const p of pages) await p.close();
  },
  record: async ({ engine }, use, testInfo) => {
    await use((patch) => recordResult(testInfo.project.name, { engine: engine.name, version: engine.version, ...patch }));
  },
});

export { expect } from '@playwright/test';
