// The demo when the camera cannot be used. This file runs its own browser: a fake camera
// exists, but without the fake permission UI, and Playwright grants nothing, so
// getUserMedia is denied as when a user clicks "Block".
import { expect, test } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './browser.js';
import { baseUrl } from './models.js';

test.use({
  launchOptions: { executablePath: chromiumPath(), args: [...chromiumArgs(), '--use-fake-device-for-media-stream'] },
});

test('camera permission denied: a message that points to the upload path', async ({ page }) => {
  await page.goto(`${baseUrl()}/demo/`);
  await page.getByTestId('camera-start').click();
  const msg = page.getByTestId('camera-message');
  await expect(msg).toBeVisible();
  await expect(msg).toContainText('Camera permission was denied');
  await expect(msg).toContainText('upload');
  await expect(page.getByTestId('file-input')).toBeAttached();
  await expect(page.getByTestId('video')).toBeHidden();
});
