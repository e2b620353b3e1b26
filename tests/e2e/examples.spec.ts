// The shipped artifact in real apps: `npm pack`, the tarball installed into a scratch folder,
// then examples/vite (vite build), examples/webpack (webpack 5, no config for the .wasm or the
// worker) and examples/plain (no bundler: an import map into node_modules) each classify a
// photo with models/cifar10-xnor.xnn in Chromium. Each must print CIFAR-10 labels, log no
// console error, and fetch xnor.wasm as its own file (zero-config URL detection).
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { serve } from '../../web/serve.js';
import { buildTs, installTarball, packTarball, REPO_ROOT } from '../package/pack.js';

const LABELS = readFileSync(join(REPO_ROOT, 'models/labels/cifar10-classes.txt'), 'utf8').trim().split('\n');
const MODEL = join(REPO_ROOT, 'models/cifar10-xnor.xnn');
const PHOTO = join(REPO_ROOT, 'web/demo/public/samples/chelsea.png');

interface Example {
  name: 'vite' | 'webpack' | 'plain';
  /** Where the model and photo go, relative to the example. */
  assets: string;
  /** Build command (node + script from the root devDependencies), if any. */
  build?: string[];
  /** Folder served at /, relative to the example. */
  root: string;
  worker: boolean;
}

const EXAMPLES: Example[] = [
  { name: 'vite', assets: 'public', build: ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], root: 'dist', worker: true },
  { name: 'webpack', assets: '.', build: ['node_modules/webpack-cli/bin/cli.js', '--no-color'], root: '.', worker: true },
  { name: 'plain', assets: '.', root: '.', worker: false },
];

let scratch = '';
const servers = new Map<string, { server: Server; url: string }>();

test.beforeAll(async () => {
  test.setTimeout(180_000);
  buildTs();
  const tarball = packTarball();
  scratch = installTarball(tarball);
  rmSync(tarball, { force: true });
  for (const ex of EXAMPLES) {
    const dir = join(scratch, ex.name);
    cpSync(join(REPO_ROOT, 'examples', ex.name), dir, { recursive: true, filter: (s) => !/[\\/](node_modules|dist)$/.test(s) });
    symlinkSync(join(scratch, 'node_modules'), join(dir, 'node_modules'), 'dir');
    cpSync(MODEL, join(dir, ex.assets, 'cifar10-xnor.xnn'));
    cpSync(PHOTO, join(dir, ex.assets, 'chelsea.png'));
    if (ex.build) execFileSync(process.execPath, [join(REPO_ROOT, ex.build[0]), ...ex.build.slice(1)], { cwd: dir, stdio: 'inherit' });
    servers.set(ex.name, await serve(join(dir, ex.root)));
  }
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
