// Cross-engine accuracy: in each engine, the worker pipeline (createClassifier) must give
// probabilities bit-identical (Float32 bytes) to Node's runtime on the same wasm build:
//  - models/cifar10-xnor.xnn on the first 2,000 CIFAR-10 test records (ImageData built on the page);
//  - models/imagenet-resnet18.xnn on the 500 shared ImageNet photos (JPEG Blobs, decoded in the
//    worker with createImageBitmap, resized and cropped by the library); the page also decodes
//    each photo and checks its pixels against Pillow's (the Node reference's input), so that a
//    decoder difference is told apart from an inference one.
// Two runs per data set: `plain` (no option: the library's default, the relaxed build where the
// engine has relaxed SIMD and the plain one elsewhere — the same floats everywhere) and `fma`
// (fma: true: the FMA build where the engine has relaxed SIMD, else the plain build — the
// fallback WebKit takes), each compared with Node's reference for the build that should have
// run (plain: Node 20 without the relaxed-SIMD flag). Plain and fma outputs differ on nearly
// every image (logged), so a bit-exact match also tells which float flavour ran.
import { readFileSync } from 'node:fs';
import { sharedFiles } from '../../helpers/shared.js';
import { requireModel } from '../models.js';
import { compareToReference, decodeProbs, distinguishing } from './compare.js';
import { expect, test } from './fixtures.js';
import { classifyInPage } from './pages.js';
import { type Kind, CIFAR_N, DATASETS, imagenetList, nodeReference } from './reference.js';

const RUNS = [
  { kind: 'cifar', mode: 'plain' },
  { kind: 'cifar', mode: 'fma' },
  { kind: 'imagenet', mode: 'plain' },
  { kind: 'imagenet', mode: 'fma' },
] as const;

for (const { kind, mode } of RUNS) {
  const what = kind === 'cifar' ? `CIFAR-10 XNOR on ${CIFAR_N} test images` : 'ImageNet ResNet-18 on the 500 shared photos';
  test(`${what}, ${mode === 'plain' ? 'default build' : 'fma: true'}: probabilities bit-identical to Node`, async ({ openApi, record }, testInfo) => {
    test.setTimeout(kind === 'cifar' ? 180_000 : 600_000);
    const model = requireModel(DATASETS[kind].model);
    const files = sharedFiles(...DATASETS[kind].shared);
    test.skip(!files, `shared ${DATASETS[kind].shared.join(', ')} missing`);
    const list = kind === 'imagenet' ? imagenetList() : [];
    const n = kind === 'cifar' ? CIFAR_N : list.length;
    if (kind === 'imagenet') expect(n).toBe(500);
    else expect(readFileSync(files![0]).length).toBeGreaterThanOrEqual(n * 3073);

    const page = await openApi();
    const r = await page.evaluate(classifyInPage, {
      model,
      kind,
      fma: mode === 'fma' ? true : undefined,
      n,
      files: list.map((e) => e.file),
    });
    // The float flavour that must have run: fma when asked for and the engine has relaxed SIMD, else plain.
    const build = mode === 'fma' && r.caps.relaxedSimd ? 'fma' : 'plain';
    const ref = nodeReference(kind, build);
    const other = nodeReference(kind, build === 'plain' ? 'fma' : 'plain');
    const cmp = compareToReference(decodeProbs(r.b64), ref, kind === 'imagenet' ? r.pixelSha256 : undefined);
    const apart = distinguishing(ref, other);
    const otherCmp = compareToReference(decodeProbs(r.b64), other);

    console.log(
      `engines: ${testInfo.project.name} ${kind}/${mode}: ran the ${build} build (${r.loaded.threads} thread), ` +
        `${cmp.identical}/${cmp.images} bit-identical to Node ${process.versions.node} (${otherCmp.identical} to its ${build === 'plain' ? 'fma' : 'plain'} build; ` +
        `the two builds differ on ${apart} images), top-1 agreement ${cmp.sameTop1}, max |Δp| ${cmp.maxAbsDiff.toExponential(2)}` +
        (cmp.samePixels !== undefined ? `, decoded pixels = Pillow's on ${cmp.samePixels}/${cmp.images}` : '') +
        `; ${(r.ms / n).toFixed(2)} ms/image in the worker`,
    );
    record({
      accuracy: {
        [`${kind}/${mode}`]: { dataset: kind, build, images: cmp.images, identical: cmp.identical, ...(cmp.samePixels !== undefined ? { samePixels: cmp.samePixels } : {}) },
      },
    });
    expect(r.stats).toMatchObject({ classified: n, dropped: 0, restarts: 0 });
    expect(r.loaded.simd).toBe(true);
    expect(cmp.images).toBe(n);
    if (kind === 'imagenet') expect(cmp.pixelMismatches).toEqual([]);
    expect(cmp.mismatches).toEqual([]);
    expect(cmp.identical).toBe(n);
  });
}

test('harness self-test: one bit flipped in the page\'s output is caught, at that image', async ({ openApi }) => {
  const model = requireModel(DATASETS.cifar.model);
  test.skip(!sharedFiles(...DATASETS.cifar.shared), 'shared CIFAR-10 test batch missing');
  const page = await openApi();
  const n = 50;
  const perturb = { image: 17, cls: 3 };
  const r = await page.evaluate(classifyInPage, { model, kind: 'cifar', fma: undefined, n, files: [], perturb });
  const cmp = compareToReference(decodeProbs(r.b64), nodeReference('cifar', 'plain'));
  expect(cmp.images).toBe(n);
  expect(cmp.identical).toBe(n - 1);
  expect(cmp.mismatches).toHaveLength(1);
  expect(cmp.mismatches[0]).toMatch(/^#17: class 3 /);
  expect(cmp.maxAbsDiff).toBeGreaterThan(0);
  expect(cmp.maxAbsDiff).toBeLessThan(1e-6); // one ulp: far below any tolerance a looser check would use
});
