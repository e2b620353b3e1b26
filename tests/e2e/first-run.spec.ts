// What a new user sees after `npm ci && npm start` on a fresh clone (no shared folder): the demo
// opens on the shipped ImageNet ResNet-18, says what it knows, and the coffee sample is an
// espresso; the widget example the server prints shows a prediction, also when dist/widget/ is
// served on its own. Only committed files are used.
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { serve } from '../../web/serve.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { baseUrl } from './models.js';

test('the demo opens on the ImageNet ResNet-18; the coffee sample is an espresso', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${baseUrl()}/demo/`);
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
  await expect(page.getByTestId('model-select')).toHaveValue('models/imagenet-resnet18.xnn');
  await expect(page.getByTestId('model-info')).toContainText('1000 classes');
  await expect(page.getByTestId('model-accuracy')).toContainText('top-1 38.4 %');
  // The class list: collapsed, searchable.
  await expect(page.getByTestId('classes-summary')).toHaveText('What it recognises: 1000 classes');
  await page.getByTestId('classes-summary').click();
  await page.getByTestId('classes-filter').fill('espresso');
  await expect(page.getByTestId('classes-list').locator('li:visible')).toHaveText(['espresso maker', 'espresso']);
  // Samples say what they are, and a click classifies.
  await expect(page.locator('#samples-h')).toContainText('click one to classify');
  await page.getByTestId('sample-coffee').click();
  await expect(page.getByTestId('top1-label')).toHaveText('espresso');
  await expect(page.getByTestId('preview-img')).toBeVisible();
  // Nothing is wrong, so nothing is red.
  await expect(page.locator('.badges li.off')).toHaveCount(0);
  await expect(page.getByTestId('error')).toBeHidden();
  expect(errors).toEqual([]);
  // The other shipped models stay in the picker.
  const options = await page.getByTestId('model-select').locator('option').allTextContents();
  for (const m of ['cifar10-xnor', 'cifar10-bwn', 'fashion-mnist-xnor', 'fashion-mnist-bwn']) expect(options.join('\n')).toContain(m);
});

test('the widget example that `npm start` prints shows a prediction', async ({ page }) => {
  await page.goto(`${baseUrl()}/widget/example.html`);
  await page.waitForFunction(() => (window as unknown as { events: unknown[] }).events?.length > 0, null, { timeout: 30_000 });
  const ev = await page.evaluate(() => (window as unknown as { events: { type: string; detail: { top: { label: string }[] } }[] }).events[0]);
  expect(ev.type).toBe('prediction');
  expect(ev.detail.top[0].label).toBe('Egyptian cat');
});

test('serving dist/widget/ on its own, as the README says, the example works', async ({ page }) => {
  const site = await serve(join(REPO_ROOT, 'dist/widget'));
  try {
    await page.goto(`${site.url}/`); // redirects to example.html
    await page.waitForFunction(() => (window as unknown as { events: unknown[] }).events?.length > 0, null, { timeout: 30_000 });
    const ev = await page.evaluate(() => (window as unknown as { events: { type: string; detail: { top: { label: string }[] } }[] }).events[0]);
    expect(ev.type).toBe('prediction');
    expect(ev.detail.top[0].label).toBe('Egyptian cat');
  } finally {
    site.server.closeAllConnections();
    await new Promise((ok) => site.server.close(ok));
  }
});
