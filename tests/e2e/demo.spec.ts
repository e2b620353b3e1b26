// The demo page: model picker, image upload, webcam (Chromium's fake camera), camera denied.
import { join } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { IMAGENET, baseUrl, requireModel } from './models.js';

const SAMPLES = join(import.meta.dirname, '../../web/demo/public/samples');

async function openDemo(page: Page, model: string) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${baseUrl()}/demo/`);
  await page.getByTestId('model-select').selectOption(model);
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
  return errors;
}

async function upload(page: Page, file: string) {
  const top1 = page.getByTestId('top1-label');
  const before = (await top1.count()) ? await top1.textContent() : null;
  await page.getByTestId('file-input').setInputFiles(join(SAMPLES, file));
  await expect(page.getByTestId('preview-img')).toBeVisible();
  if (before) await expect(page.getByTestId('top1-label')).not.toHaveText(before);
  return (await page.getByTestId('top1-label').textContent())!;
}

test('ImageNet ResNet-18: chelsea.png is an Egyptian cat, coffee.png an espresso', async ({ page }) => {
  const model = requireModel(IMAGENET);
  const errors = await openDemo(page, model);
  await expect(page.getByTestId('model-info')).toContainText('MB');
  await upload(page, 'chelsea.png');
  await expect(page.getByTestId('top1-label')).toHaveText('Egyptian cat');
  const ms = Number(await page.getByTestId('latency-ms').textContent());
  expect(ms).toBeGreaterThan(0);
  await expect(page.getByTestId('top5').locator('li')).toHaveCount(5);
  await upload(page, 'coffee.png');
  await expect(page.getByTestId('top1-label')).toHaveText('espresso');
  expect(Number(await page.getByTestId('latency-ms').textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('simd')).toHaveText(/SIMD: on/);
  expect(errors).toEqual([]);
  console.log(`demo: ResNet-18 inference ${ms} ms (worker, chelsea.png)`);
});

test('webcam (fake camera) produces predictions and a frame rate', async ({ page }) => {
  const model = requireModel(IMAGENET);
  await openDemo(page, model);
  await page.getByTestId('camera-start').click();
  await expect(page.getByTestId('video')).toBeVisible();
  await expect(page.getByTestId('top1-label')).not.toBeEmpty();
  await expect(page.getByTestId('fps')).toHaveText(/^\d+(\.\d+)?$/, { timeout: 20_000 });
  await page.waitForTimeout(3000);
  const fps = Number(await page.getByTestId('fps').textContent());
  const ms = Number(await page.getByTestId('latency-ms').textContent());
  const dropped = Number(await page.getByTestId('dropped').textContent());
  expect(fps).toBeGreaterThan(0);
  expect(ms).toBeGreaterThan(0);
  console.log(`demo webcam: ${fps} frames/s, ${ms} ms/inference, ${dropped} frames dropped`);
  await page.getByTestId('camera-stop').click();
  await expect(page.getByTestId('video')).toBeHidden();
});

test('drag and drop: an image is classified, a .xnn becomes a selectable model', async ({ page }) => {
  const model = requireModel(IMAGENET);
  const cifar = requireModel('build/cifar10-resnet18.xnn');
  await openDemo(page, model);
  // Drop coffee.png on the drop zone (a DataTransfer made in the page, as a real drop has).
  const drop = async (url: string, name: string, type: string) => {
    const dt = await page.evaluateHandle(
      async ([u, n, t]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([await (await fetch(u)).blob()], n, { type: t }));
        return dt;
      },
      [url, name, type],
    );
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dt });
  };
  await drop('samples/coffee.png', 'coffee.png', 'image/png');
  await expect(page.getByTestId('top1-label')).toHaveText('espresso');
  const options = await page.getByTestId('model-select').locator('option').count();
  await drop(cifar, 'my-cifar.xnn', '');
  await expect(page.getByTestId('model-select').locator('option')).toHaveCount(options + 1);
  await expect(page.getByTestId('model-select').locator('option:checked')).toContainText('my-cifar (dropped');
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready');
  // The last image is classified again with the new model: a CIFAR-10 class.
  await expect(page.getByTestId('top1-label')).toHaveText(/^(airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)$/);
});
