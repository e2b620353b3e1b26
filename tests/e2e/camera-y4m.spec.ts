// The demo's webcam mode with a camera that shows a known picture: Chromium's fake capture
// device playing a .y4m made at test time from shared/data/photos/chelsea.png. The demo
// classifies 640×480 camera frames with ImageNet ResNet-18 (short side → 256, centre crop
// 224), so the photo is scaled to cover the frame: the crop then sees the same middle part of
// the photo as an upload of chelsea.png does, and the answer must be a cat.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { sharedFiles } from '../helpers/shared.js';
import { chromiumArgs, chromiumPath } from './browser.js';
import { IMAGENET, baseUrl, requireModel } from './models.js';
import { coverFrame, fakeCameraArgs, readPngRgb, writeY4m } from './y4m.js';

const CAT = /^(Egyptian cat|tiger cat|tabby)/;

test('webcam showing chelsea (fake camera, .y4m): ResNet-18 says cat, with a latency', async ({ playwright }) => {
  const model = requireModel(IMAGENET);
  const files = sharedFiles('data/photos/chelsea.png');
  test.skip(!files, 'shared/data/photos/chelsea.png is missing');
  const dir = mkdtempSync(join(tmpdir(), 'xnor-y4m-'));
  const y4m = join(dir, 'chelsea.y4m');
  const frame = coverFrame(readPngRgb(files![0]), 640, 480);
  writeY4m(y4m, frame, { fps: 30, frames: 5 });
  const mean = [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = c; i < frame.data.length; i += 3) s += frame.data[i];
    return s / (frame.data.length / 3);
  });
  // Its own browser: the camera's file is a launch argument.
  const browser = await playwright.chromium.launch({ executablePath: chromiumPath(), args: [...chromiumArgs(), ...fakeCameraArgs(y4m)] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${baseUrl()}/demo/`);
    await page.getByTestId('model-select').selectOption(model);
    await expect(page.locator('body')).toHaveAttribute('data-model', 'ready', { timeout: 30_000 });
    await page.getByTestId('camera-start').click();
    await expect(page.getByTestId('video')).toBeVisible();
    // The camera shows the .y4m (not Chromium's built-in test pattern), colours intact: the
    // mean R, G, B of a captured frame match the picture that was written.
    const seen = await page.getByTestId('video').evaluate(async (v: HTMLVideoElement) => {
      while (v.readyState < 2) await new Promise((ok) => setTimeout(ok, 50));
      const c = new OffscreenCanvas(v.videoWidth, v.videoHeight);
      const g = c.getContext('2d')!;
      g.drawImage(await createImageBitmap(v, { colorSpaceConversion: 'none' }), 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const sum = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) sum[k] += d[i + k];
      return { size: [v.videoWidth, v.videoHeight], mean: sum.map((x) => x / (d.length / 4)) };
    });
    expect(seen.size).toEqual([640, 480]);
    for (let k = 0; k < 3; k++) expect(Math.abs(seen.mean[k] - mean[k])).toBeLessThan(2);
    await expect(page.getByTestId('top1-label')).toHaveText(CAT);
    await expect(page.getByTestId('fps')).toHaveText(/^\d+(\.\d+)?$/, { timeout: 20_000 });
    // Still a cat after several frames (not one lucky answer), with a latency in ms.
    await page.waitForTimeout(1500);
    const top = await page.getByTestId('top5').locator('li .label').allTextContents();
    expect(top[0]).toMatch(CAT);
    const ms = Number(await page.getByTestId('latency-ms').textContent());
    expect(ms).toBeGreaterThan(0);
    expect(Number.isFinite(ms)).toBe(true);
    const fps = Number(await page.getByTestId('fps').textContent());
    expect(errors).toEqual([]);
    console.log(`camera (chelsea.y4m 640×480): top-3 ${top.slice(0, 3).join(' / ')}; ${ms} ms/inference, ${fps} frames/s`);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
