// The shipped artifact in real apps: `npm pack`, the tarball installed into a scratch folder,
// then examples/vite (vite build), examples/webpack (webpack 5, no config for the .wasm or the
// worker) and examples/plain (no bundler: an import map into node_modules) each classify a
// photo with models/cifar10-xnor.xnn in Chromium. Each must print CIFAR-10 labels, log no
// console error, and fetch xnor.wasm as its own file (zero-config URL detection).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { serve } from '../../web/serve.js';
import { REPO_ROOT } from '../package/pack.js';
import { EXAMPLES, buildExamples } from './examples-build.js';

const LABELS = readFileSync(join(REPO_ROOT, 'models/labels/cifar10-classes.txt'), 'utf8').trim().split('\n');

let scratch = '';
const servers = new Map<string, { server: Server; url: string }>();

test.beforeAll(async () => {
  test.setTimeout(180_000);
  scratch = mkdtempSync(join(tmpdir(), 'xnor-examples-'));
  buildExamples(scratch);
  for (const ex of EXAMPLES) servers.set(ex.name, await serve(join(scratch, ex.name, ex.root)));
});

test.afterAll(async () => {
  for (const { server } of servers.values()) {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

for (const ex of EXAMPLES) {
  test(`examples/${ex.name}: the packed package classifies a photo`, async ({ page }) => {
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    const wasm: { url: string; type: string }[] = [];
    page.on('response', (r) => {
      if (/\.wasm(\?|$)/.test(r.url())) wasm.push({ url: r.url(), type: r.headers()['content-type'] ?? '' });
    });

    await page.goto(`${servers.get(ex.name)!.url}/index.html`);
    const out = page.locator('#result');
    await expect(out).toHaveAttribute('data-status', /done|error/, { timeout: 30_000 });
    expect(await out.getAttribute('data-status'), await out.textContent() ?? '').toBe('done');
    expect(LABELS).toContain(await out.getAttribute('data-main'));
    if (ex.worker) expect(LABELS).toContain(await out.getAttribute('data-worker'));
    const caps = JSON.parse((await out.getAttribute('data-caps'))!);
    expect(caps).toMatchObject({ simd: true, crossOriginIsolated: true });
    expect(['scalar', 'simd']).toContain(caps.popcount);

    // xnor.wasm arrived as its own file (not inlined as base64), served as application/wasm.
    expect(wasm.length).toBeGreaterThan(0);
    expect(wasm[0].type).toContain('application/wasm');
    expect(errors).toEqual([]);
  });
}
