// The demo recovers from bad input: a model file that fails to load leaves the working model
// selected and in use, says in one sentence what was wrong (the technical detail beneath), and
// the page keeps classifying; an image that fails clears the previous photo and prediction.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { REPO_ROOT } from '../helpers/shared.js';
import { baseUrl } from './models.js';

const SHIPPED = 'models/imagenet-resnet18.xnn';

async function openDemo(page: Page) {
  await page.goto(`${baseUrl()}/demo/`);
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
  await expect(page.getByTestId('model-select')).toHaveValue(SHIPPED);
}

async function openModelFile(page: Page, name: string, buffer: Buffer) {
  await page.getByTestId('model-file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
}

const xnn = readFileSync(join(REPO_ROOT, 'models/fashion-mnist-xnor.xnn'));
const BAD_MODELS: [string, Buffer, RegExp][] = [
  ['notes.xnn', Buffer.from('These are my notes, not a model.\n'), /“notes\.xnn” is a text file, not an xnor-web model/],
  ['photo.xnn', readFileSync(join(REPO_ROOT, 'web/demo/public/samples/rocket.jpg')), /“photo\.xnn” is a JPEG image, not an xnor-web model/],
  ['cut.xnn', xnn.subarray(0, xnn.length >> 1), /“cut\.xnn” is incomplete \(cut short\)/],
];

for (const [name, bytes, summary] of BAD_MODELS)
  test(`a bad model file (${name}) keeps the working model, explains, and the page keeps classifying`, async ({ page }) => {
    await openDemo(page);
    const before = await page.getByTestId('model-select').locator('option').count();
    await openModelFile(page, name, bytes);
    await expect(page.getByTestId('model-error')).toBeVisible();
    await expect(page.getByTestId('model-error-summary')).toHaveText(summary);
    await expect(page.getByTestId('model-error-detail')).toContainText('ModelFormatError');
    // The last working model is selected and in use; the failed file is not left in the picker.
    await expect(page.getByTestId('model-select')).toHaveValue(SHIPPED);
    await expect(page.getByTestId('model-select').locator('option')).toHaveCount(before);
    await expect(page.locator('body')).toHaveAttribute('data-model', 'ready');
    await page.getByTestId('sample-coffee').click();
    await expect(page.getByTestId('top1-label')).toHaveText('espresso');
    // A good model afterwards loads and clears the message.
    await openModelFile(page, 'fmnist.xnn', xnn);
    await expect(page.getByTestId('model-select').locator('option:checked')).toContainText('fmnist (dropped');
    await expect(page.locator('body')).toHaveAttribute('data-model', 'ready');
    await expect(page.getByTestId('model-error')).toBeHidden();
  });

test('an empty PNG clears the previous photo and prediction and says why', async ({ page }) => {
  await openDemo(page);
  await page.getByTestId('sample-chelsea').click();
  await expect(page.getByTestId('top1-label')).toHaveText('Egyptian cat');
  await page.getByTestId('file-input').setInputFiles({ name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) });
  await expect(page.getByTestId('error-summary')).toHaveText('“empty.png” is empty: there is no picture in it.');
  await expect(page.getByTestId('top5').locator('li')).toHaveCount(0);
  await expect(page.getByTestId('preview-img')).toBeHidden();
  // A corrupt image likewise, then a good one classifies again.
  await page.getByTestId('sample-chelsea').click();
  await expect(page.getByTestId('top1-label')).toHaveText('Egyptian cat');
  await page.getByTestId('file-input').setInputFiles({ name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) });
  await expect(page.getByTestId('error-summary')).toHaveText(/“broken\.jpg” could not be read as an image/);
  await expect(page.getByTestId('top5').locator('li')).toHaveCount(0);
  await expect(page.getByTestId('preview-img')).toBeHidden();
  await page.getByTestId('sample-coffee').click();
  await expect(page.getByTestId('top1-label')).toHaveText('espresso');
  await expect(page.getByTestId('error')).toBeHidden();
});

test('asking for threads on a page that cannot have them is the one red badge', async ({ page }) => {
  await openDemo(page);
  await expect(page.locator('.badges li.off')).toHaveCount(0);
  await page.goto(`${baseUrl()}/demo/?threads=2`);
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
  await expect(page.getByTestId('threads')).toHaveText('threads: 2 per worker');
  await expect(page.locator('.badges li.off')).toHaveCount(0);
});
