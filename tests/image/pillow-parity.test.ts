// Node's decoder gives exactly Pillow's RGB bytes (python3-pil, libjpeg-turbo — the decoder
// browsers link) for every shared ImageNet photo and the sample photos, and applies EXIF
// orientation as browsers do (Pillow's ImageOps.exif_transpose).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode-node.js';
import { PYTHON } from '../fixtures/onnx-fixtures.js';
import { writeExifJpegs } from '../helpers/exif-jpegs.js';
import { REPO_ROOT, sharedFiles } from '../helpers/shared.js';

/** sha1 of Pillow's convert('RGB') bytes (after exif_transpose when `upright`), per file. */
function pillowHashes(files: string[], upright = false): string[] {
  const script = `
import sys, hashlib
from PIL import Image, ImageOps
for f in sys.stdin.read().split('\\n'):
    if not f: continue
    im = Image.open(f)
    if ${upright ? 'True' : 'False'}: im = ImageOps.exif_transpose(im)
    print(hashlib.sha1(im.convert('RGB').tobytes()).hexdigest())
`;
  return execFileSync(PYTHON, ['-c', script], { input: files.join('\n'), encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n');
}

function ourHash(file: string): string {
  const img = decodeImage(readFileSync(file), file);
  let rgb = img.data;
  if (img.channels !== 3) {
    // Pillow's convert('RGB') of grey(+alpha) / RGBA: replicate grey, drop alpha.
    const n = img.width * img.height;
    rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < 3; k++) rgb[i * 3 + k] = img.data[i * img.channels + (img.channels >= 3 ? k : 0)];
  }
  return createHash('sha1').update(rgb).digest('hex');
}

const sample = sharedFiles('data/imagenet-sample/labels.tsv');

describe('decoded bytes equal Pillow’s', () => {
  it.skipIf(!sample)('all 500 shared ImageNet photos (JPEG)', () => {
    const dir = join(sample![0], '..');
    const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(dir, f));
    expect(files.length).toBe(500);
    const want = pillowHashes(files);
    const differ = files.filter((f, i) => ourHash(f) !== want[i]);
    expect(differ).toEqual([]);
  }, 120_000);

  it('the demo’s sample photos (PNG)', () => {
    const dir = join(REPO_ROOT, 'web/demo/public/samples');
    const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f)).map((f) => join(dir, f));
    expect(files.length).toBeGreaterThan(1);
    expect(files.map(ourHash)).toEqual(pillowHashes(files));
  });
});

describe('EXIF orientation', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'xnor-exif-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('each of the 8 orientations comes out upright, as browsers and exif_transpose show it', () => {
    const files = writeExifJpegs(tmp);
    const want = pillowHashes(files, true);
    for (const [i, f] of files.entries()) {
      const img = decodeImage(readFileSync(f), f);
      expect([img.width, img.height], `orientation ${i + 1}`).toEqual(i + 1 >= 5 ? [23, 37] : [37, 23]);
      expect(ourHash(f), `orientation ${i + 1}`).toBe(want[i]);
    }
  });
});
