// The demo and the widget under a strict Content-Security-Policy (no inline script/style, no
// eval; only 'wasm-unsafe-eval' for WebAssembly and blob: workers). The header is added to every
// response by a route, on top of the global setup's static server. Both must classify a photo
// with no `securitypolicyviolation` event and no CSP console error.
import { join } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { IMAGENET, baseUrl, requireModel } from './models.js';

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:";
const SAMPLES = join(import.meta.dirname, '../../web/demo/public/samples');

async function withCsp(page: Page): Promise<{ violations: string[]; errors: string[] }> {
  const violations: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
  });
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __cspViolation: (s: string) => void }).__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { violations, errors };
}

test('demo under a strict CSP: upload chelsea.png → Egyptian cat, no violation', async ({ page }) => {
  const model = requireModel(IMAGENET);
  const { violations, errors } = await withCsp(page);
  await page.goto(`${baseUrl()}/demo/`);
  await page.getByTestId('model-select').selectOption(model);
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
  await page.getByTestId('file-input').setInputFiles(join(SAMPLES, 'chelsea.png'));
  await expect(page.getByTestId('top1-label')).toHaveText('Egyptian cat');
  expect(violations).toEqual([]);
  expect(errors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
  expect(errors).toEqual([]);
});

test('widget example.html under a strict CSP: `prediction` event, no violation', async ({ page }) => {
  requireModel(IMAGENET);
  const { violations, errors } = await withCsp(page);
  await page.goto(`${baseUrl()}/widget/example.html`);
  await page.waitForFunction(() => (window as unknown as { events: unknown[] }).events?.length > 0, null, { timeout: 30_000 });
  const ev = await page.evaluate(() => (window as unknown as { events: { type: string; detail: { top?: { label: string }[] } }[] }).events[0]);
  expect(`${ev.type} ${ev.type === 'error' ? JSON.stringify(ev.detail) : ''} ${violations.join('; ')}`.trim()).toBe('prediction');
  expect(ev.detail.top![0].label).toBe('Egyptian cat');
  expect(violations).toEqual([]);
  expect(errors).toEqual([]);
});
