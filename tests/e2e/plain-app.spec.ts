// `import { loadModel } from 'xnor-web'` in a plain Vite app with no config:
// the package as installed (dist/ + package.json copied into node_modules), built with
// `vite build`, served with COOP/COEP. xnor.wasm must arrive as its own file (not base64).
import { execSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { serve } from '../../web/serve.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { IMAGENET, requireModel } from './models.js';

let app = '';
let server: Server | undefined;
let url = '';

test.beforeAll(async () => {
  test.setTimeout(180_000);
  requireModel(IMAGENET);
  execSync('npm run build:ts --silent', { cwd: REPO_ROOT, stdio: 'inherit' });
  app = mkdtempSync(join(tmpdir(), 'xnor-plain-app-'));
  const pkg = join(app, 'node_modules/xnor-web');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(REPO_ROOT, 'dist'), join(pkg, 'dist'), { recursive: true, filter: (s) => !/dist[\\/](demo|widget)$/.test(s) });
  cpSync(join(REPO_ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules/comlink'), join(app, 'node_modules/comlink'));
  mkdirSync(join(app, 'public'));
  cpSync(join(REPO_ROOT, 'models', IMAGENET), join(app, 'public/model.xnn'));
  cpSync(join(REPO_ROOT, 'web/demo/public/samples/chelsea.png'), join(app, 'public/chelsea.png'));
  writeFileSync(join(app, 'package.json'), '{ "name": "plain-app", "private": true, "type": "module" }\n');
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"></head><body><p id="out">…</p><script type="module" src="/main.js"></script></body></html>\n',
  );
  writeFileSync(
    join(app, 'main.js'),
    `import { loadModel, createClassifier } from 'xnor-web';
const out = document.getElementById('out');
try {
  const blob = await (await fetch('/chelsea.png')).blob();
  // What a fresh app does: draw the photo, read the canvas, classify the ImageData here.
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const model = await loadModel('/model.xnn');
  const main = (await model.classify(ctx.getImageData(0, 0, canvas.width, canvas.height))).top[0].label;
  model.dispose();
  const c = await loadModel('/model.xnn', { workers: 1 });
  const worker = (await c.classify(blob)).top[0].label;
  c.dispose();
  // the deprecated spelling is the same call
  const old = await createClassifier({ model: '/model.xnn' });
  const deprecated = old.workers + ' ' + (await old.classify(blob)).top[0].label;
  old.dispose();
  out.textContent = 'main: ' + main + '; worker: ' + worker + '; createClassifier: ' + deprecated;
} catch (e) {
  out.textContent = 'ERROR ' + e.name + ': ' + e.message;
}
`,
  );
  execSync(`node ${join(REPO_ROOT, 'node_modules/vite/bin/vite.js')} build --logLevel error`, { cwd: app, stdio: 'inherit' });
  ({ server, url } = await serve(join(app, 'dist')));
});

test.afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((ok) => (server ? server.close(ok) : ok(null)));
  if (app) rmSync(app, { recursive: true, force: true });
});

test('a plain Vite app classifies ImageData with loadModel on the page and in a worker, fetching xnor.wasm as a file', async ({ page }) => {
  await page.goto(`${url}/index.html`);
  await expect(page.locator('#out')).not.toHaveText('…', { timeout: 30_000 });
  await expect(page.locator('#out')).toHaveText('main: Egyptian cat; worker: Egyptian cat; createClassifier: 1 Egyptian cat');
  const wasm = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.wasm')));
  expect(wasm.length).toBeGreaterThan(0);
  expect(wasm.every((n) => n.startsWith('http'))).toBe(true);
});
