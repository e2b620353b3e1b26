// Model integrity in the browser.
//  - <xnor-classifier integrity="…">: the model file's digest (SRI `sha256-<base64>` or hex).
//    The right digest classifies; a wrong one dispatches `error` named IntegrityError and no
//    `prediction` (the model never reaches a worker). The element is created on a bare page of
//    the same origin that imports dist/widget/xnor-classifier.js.
//  - loadModel(url, { workers: 1, integrity, cache, threads }): a wrong digest rejects for URL and byte
//    sources; with `cache` the second classifier takes the model from the Cache API (no request).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { REPO_ROOT } from '../helpers/shared.js';
import { baseUrl, requireModel } from './models.js';

type Ev = { type: string; detail: { name?: string; message?: string; top?: { label: string }[] } };

/** Creates <xnor-classifier model src integrity> and resolves with its first event. */
async function firstEvent(page: Page, model: string, integrity: string): Promise<{ first: Ev; items: number }> {
  return page.evaluate(
    async ({ model, integrity, widget }) => {
      await import(widget);
      const el = document.createElement('xnor-classifier');
      const first = new Promise<Ev>((resolve) => {
        for (const type of ['prediction', 'error'])
          el.addEventListener(type, (e) => resolve({ type, detail: (e as CustomEvent).detail }), { once: true });
      });
      el.setAttribute('integrity', integrity);
      el.setAttribute('model', `/demo/${model}`);
      el.setAttribute('src', '/demo/samples/chelsea.png');
      document.body.append(el);
      const ev = await first;
      return { first: ev, items: el.shadowRoot!.querySelectorAll('[part=item]').length };
    },
    { model, integrity, widget: '/widget/xnor-classifier.js' },
  );
}

const digests = (bytes: Buffer) => ({
  sri: `sha256-${createHash('sha256').update(bytes).digest('base64')}`,
  hex: createHash('sha256').update(bytes).digest('hex'),
  wrong: `sha256-${createHash('sha256').update(bytes.subarray(1)).digest('base64')}`,
});

test('integrity attribute: the right digest classifies, a wrong one dispatches IntegrityError', async ({ page }) => {
  const model = requireModel('cifar10-xnor.xnn');
  const { sri, hex, wrong } = digests(readFileSync(join(REPO_ROOT, model)));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  for (const digest of [sri, hex]) {
    await page.goto(`${baseUrl()}/demo/api.html`);
    const r = await firstEvent(page, model, digest);
    expect(r.first.type, JSON.stringify(r.first.detail)).toBe('prediction');
    expect(r.first.detail.top!.length).toBe(5);
    expect(r.items).toBe(5);
  }

  await page.goto(`${baseUrl()}/demo/api.html`);
  const bad = await firstEvent(page, model, wrong);
  expect(bad.first.type).toBe('error');
  expect(bad.first.detail.name).toBe('IntegrityError');
  expect(bad.first.detail.message).toContain('integrity mismatch');
  expect(bad.first.detail.message).toContain(wrong);
  expect(bad.items).toBe(0);
  await expect(page.locator('xnor-classifier [part=status]')).toHaveClass(/error/);
  await expect(page.locator('xnor-classifier [part=item]')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('loadModel in a worker: integrity for URL and bytes, cache: the second load makes no request, threads accepted', async ({ page }) => {
  const model = requireModel('fashion-mnist-xnor.xnn');
  const { sri, wrong } = digests(readFileSync(join(REPO_ROOT, model)));
  await page.goto(`${baseUrl()}/demo/api.html`);
  await expect(page.locator('#status')).toHaveText('ready');
  const requests: string[] = [];
  page.on('request', (req) => {
    if (req.url().endsWith('.xnn')) requests.push(req.url());
  });
  const r = await page.evaluate(
    async ({ url, sri, wrong }) => {
      const { xnor } = window;
      const name = (e: unknown) => ({ name: (e as Error).name, message: (e as Error).message });
      const img = { width: 28, height: 28, channels: 1 as const, data: new Uint8Array(784).fill(200) };
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const wrongUrl = await xnor.loadModel(url, { workers: 1, integrity: wrong }).then(() => null, name);
      const wrongBytes = await xnor.loadModel(bytes, { workers: 1, integrity: wrong }).then(() => null, name);
      const first = await xnor.loadModel(url, { workers: 1, integrity: sri, cache: 'xnor-e2e', threads: 2 });
      const a = (await first.classify(img, { transfer: false })).top;
      first.dispose();
      const second = await xnor.loadModel(url, { workers: 1, integrity: sri, cache: 'xnor-e2e' });
      const b = (await second.classify(img, { transfer: false })).top;
      second.dispose();
      await xnor.clearCache('xnor-e2e');
      return { wrongUrl, wrongBytes, same: JSON.stringify(a) === JSON.stringify(b) };
    },
    { url: model, sri, wrong },
  );
  expect(r.wrongUrl?.name).toBe('IntegrityError');
  expect(r.wrongBytes?.name).toBe('IntegrityError');
  expect(r.same).toBe(true);
  // One fetch by the test itself, one for the wrong-digest URL, one for `first`; `second` hits the cache.
  expect(requests).toHaveLength(3);
});
