// <xnor-classifier> on web/widget/example.html (a static page, no bundler), as built into
// dist/widget next to xnor-classifier.js.
import { type Page, expect, test } from '@playwright/test';
import { IMAGENET, baseUrl, requireModel } from './models.js';

type WidgetEvent = { type: string; detail: { name?: string; message?: string; top?: { index: number; label: string; prob: number }[]; ms?: number } };

async function firstEvent(page: Page, query: string): Promise<WidgetEvent> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${baseUrl()}/widget/example.html${query}`);
  await page.waitForFunction(() => (window as unknown as { events: unknown[] }).events?.length > 0, null, { timeout: 30_000 });
  expect(errors).toEqual([]);
  return page.evaluate(() => (window as unknown as { events: WidgetEvent[] }).events[0]);
}

test('example.html with src=chelsea.png dispatches `prediction` with a cat top-1', async ({ page }) => {
  requireModel(IMAGENET);
  const ev = await firstEvent(page, '');
  expect(ev.type).toBe('prediction');
  expect(ev.detail.top).toHaveLength(3); // top="3"
  expect(ev.detail.top![0].label).toMatch(/cat/);
  expect(ev.detail.top![0].label).toBe('Egyptian cat');
  expect(ev.detail.ms).toBeGreaterThan(0);
  // Rendered in the shadow DOM, themeable by parts.
  await expect(page.locator('xnor-classifier [part=label]').first()).toHaveText('Egyptian cat');
  // The page needs nothing but the one module: no other script or wasm was requested.
  const scripts = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /\.(js|wasm)(\?|$)/.test(n)),
  );
  // (example.js is the page's own event log, a file so that the page runs under a strict CSP.)
  expect(scripts.map((s) => new URL(s).pathname).filter((p) => p !== '/widget/example.js')).toEqual(['/widget/xnor-classifier.js']);
});

test('a model URL that serves an HTML page dispatches `error` named ModelHtmlError', async ({ page }) => {
  const ev = await firstEvent(page, '?model=../demo/index.html');
  expect(ev.type).toBe('error');
  expect(ev.detail.name).toBe('ModelHtmlError');
  expect(ev.detail.message).toContain('HTML');
});

test('camera attribute: live predictions from the (fake) webcam', async ({ page }) => {
  requireModel(IMAGENET);
  const ev = await firstEvent(page, '?camera');
  expect(ev.type).toBe('prediction');
  expect(ev.detail.top).toHaveLength(3);
  await expect(page.locator('xnor-classifier video')).toBeVisible();
});

test('registering the element twice is harmless', async ({ page }) => {
  await page.goto(`${baseUrl()}/widget/example.html?model=../demo/index.html`);
  const ok = await page.evaluate(async () => {
    await import(`/widget/xnor-classifier.js?again=${Date.now()}`);
    return customElements.get('xnor-classifier') !== undefined;
  });
  expect(ok).toBe(true);
});
