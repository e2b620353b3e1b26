// The same photo gives the same top-5 in Node and in the browser: `xnor-web classify
// models/imagenet-resnet18.xnn PHOTO --json` against the <xnor-classifier> widget in Chromium,
// on the shared ImageNet sample. CI runs every 10th photo (50); PARITY_ALL=1 runs all 500
// (`npm run parity:photos`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { serve } from '../../web/serve.js';
import { writeExifJpegs } from '../helpers/exif-jpegs.js';
import { REPO_ROOT, sharedFiles } from '../helpers/shared.js';

const STEP = process.env.PARITY_ALL === '1' ? 1 : 10;

let dir = '';
let site: { server: Server; url: string } | null = null;
let photos: string[] = [];

test.beforeAll(async () => {
  const labels = sharedFiles('data/imagenet-sample/labels.tsv');
  test.skip(!labels, 'the shared ImageNet sample is missing');
  const sample = join(labels![0], '..');
  photos = readFileSync(labels![0], 'utf8').trim().split('\n').map((l) => l.split('\t')[0]).filter((_, i) => i % STEP === 0);
  // One origin for the widget (as built into dist/widget) and the photos.
  dir = mkdtempSync(join(tmpdir(), 'xnor-parity-'));
  symlinkSync(join(REPO_ROOT, 'dist/widget'), join(dir, 'widget'), 'dir');
  symlinkSync(sample, join(dir, 'photos'), 'dir');
  site = await serve(dir);
});

test.afterAll(async () => {
  if (site) {
    site.server.closeAllConnections();
    await new Promise((ok) => site!.server.close(ok));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('CLI classify and the widget give the same top-5 for each photo', async ({ page }) => {
  test.setTimeout(60_000 + photos.length * 2_000);
  const sample = join(sharedFiles('data/imagenet-sample/labels.tsv')![0], '..');
  const cli = JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'classify', join(REPO_ROOT, 'models/imagenet-resnet18.xnn'), ...photos.map((p) => join(sample, p)), '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }),
  ) as { image: string; top: { index: number }[] }[];
  expect(cli).toHaveLength(photos.length);

  await page.goto(`${site!.url}/widget/example.html?model=imagenet-resnet18.xnn&src=../photos/${photos[0]}`);
  const browser: number[][] = await page.evaluate(async (files) => {
    const el = document.getElementById('clf')!;
    // The next top-5 answer (an answer still in flight for the page's initial top="3" is skipped).
    const next = (f: string) =>
      new Promise<number[]>((ok, fail) => {
        const done = (e: Event) => {
          const d = (e as CustomEvent).detail;
          if (e.type === 'prediction' && d.top.length !== 5) return;
          el.removeEventListener('prediction', done);
          el.removeEventListener('error', done);
          if (e.type === 'error') fail(new Error(`${f}: ${d.name}: ${d.message}`));
          else ok(d.top.map((p: { index: number }) => p.index));
        };
        el.addEventListener('prediction', done);
        el.addEventListener('error', done);
      });
    const out: number[][] = [];
    const first = next(files[0]);
    el.setAttribute('top', '5'); // the page's src is files[0]: classified again with top 5
    out.push(await first);
    for (const f of files.slice(1)) {
      const answer = next(f);
      el.setAttribute('src', `../photos/${f}`);
      out.push(await answer);
    }
    return out;
  }, photos);

  const differ = photos.filter((p, i) => JSON.stringify(cli[i].top.map((x) => x.index)) !== JSON.stringify(browser[i]));
  console.log(`node-browser parity: ${photos.length - differ.length}/${photos.length} photos with the same top-5`);
  expect(differ).toEqual([]);
});

test('Chromium decodes each photo, and each EXIF orientation, to the bytes Node decodes', async ({ page }) => {
  const exif = writeExifJpegs(dir);
  const sample = join(sharedFiles('data/imagenet-sample/labels.tsv')![0], '..');
  const files = [...exif.map((f) => f.slice(dir.length + 1)), ...photos.map((p) => `photos/${p}`)];
  const { decodeImage } = await import('../../src/image/decode-node.js');
  const { createHash } = await import('node:crypto');
  const nodeRgb = (rel: string) => {
    const img = decodeImage(readFileSync(rel.startsWith('photos/') ? join(sample, rel.slice(7)) : join(dir, rel)), rel);
    return `${img.width}x${img.height}:${createHash('sha1').update(img.data).digest('hex')}`;
  };
  await page.goto(`${site!.url}/widget/example.html?model=none`);
  const browser: string[] = await page.evaluate(async (list) => {
    const out: string[] = [];
    for (const f of list) {
      // As the model worker decodes (src/worker/frames.ts): no colour conversion, EXIF applied.
      const bm = await createImageBitmap(await (await fetch(`/${f}`)).blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const c = new OffscreenCanvas(bm.width, bm.height).getContext('2d')!;
      c.drawImage(bm, 0, 0);
      const px = c.getImageData(0, 0, bm.width, bm.height).data;
      const rgb = new Uint8Array((px.length / 4) * 3);
      for (let i = 0, j = 0; i < px.length; i += 4, j += 3) rgb.set(px.subarray(i, i + 3), j);
      const h = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-1', rgb)), (b) => b.toString(16).padStart(2, '0')).join('');
      out.push(`${bm.width}x${bm.height}:${h}`);
    }
    return out;
  }, files);
  const differ = files.filter((f, i) => nodeRgb(f) !== browser[i]);
  console.log(`decoder parity: ${files.length - differ.length}/${files.length} files decode to the same RGB bytes in Chromium and Node`);
  expect(differ).toEqual([]);
});
