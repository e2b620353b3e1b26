// The demo keeps working offline once loaded (service worker: network first, cache fallback).
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { IMAGENET, baseUrl, requireModel } from './models.js';

test.use({ serviceWorkers: 'allow' });

test('after one visit, the demo loads and classifies offline', async ({ page, context }) => {
  const model = requireModel(IMAGENET);
  const url = `${baseUrl()}/demo/?model=${encodeURIComponent(model)}`;
  await page.goto(url);
  await expect(page.locator('#badge-offline')).toContainText('ready');
  await page.reload(); // now everything the page needs goes through the worker, into the cache
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
  // Really offline: an uncached URL fails (online, the server would answer 404).
  const probe = await page.evaluate(() => fetch(`uncached-${Date.now()}`).then((r) => r.status, () => 'failed'));
  expect(probe).toBe('failed');
  await page.getByTestId('file-input').setInputFiles(join(import.meta.dirname, '../../web/demo/public/samples/chelsea.png'));
  await expect(page.getByTestId('top1-label')).toHaveText('Egyptian cat');
  await context.setOffline(false);
});
