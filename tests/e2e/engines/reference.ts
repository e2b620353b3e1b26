// The Node side of the cross-engine accuracy check: the probabilities Node's runtime gives for
// the data sets the browsers classify, on the plain or the fma wasm build.
//
//  - cifar:    models/cifar10-xnor.xnn on the first 2,000 records of
//              shared/data/cifar10/test_batch.bin (the raw pixels, as the pages build ImageData);
//  - imagenet: models/imagenet-resnet18.xnn on the 500 photos of shared/data/imagenet-sample,
//              decoded by Pillow (libjpeg-turbo, the decoder all three engines link; the pages
//              check that their createImageBitmap gives the same bytes, image by image).
//
// Computed in a child Node process — Node 20 needs --experimental-wasm-relaxed-simd for the
// fma build — and cached under tests/.cache/engines/, keyed by the model, the wasm build,
// every file under src/, the data and Node's version, so each build runs once per change.
//   node [--experimental-wasm-relaxed-simd] --import tsx tests/e2e/engines/reference.ts KIND BUILD OUT
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, SHARED_DIR, sharedFiles } from '../../helpers/shared.js';

export type Build = 'plain' | 'fma';
export type Kind = 'cifar' | 'imagenet';

export const CIFAR_N = Number(process.env.ENGINES_CIFAR_N ?? 2000);
export const CIFAR_RECORD = 3073;
export const DATASETS = {
  cifar: { model: 'cifar10-xnor.xnn', shared: ['data/cifar10/test_batch.bin'] },
  imagenet: { model: 'imagenet-resnet18.xnn', shared: ['data/imagenet-sample/labels.tsv'] },
} as const;

export interface Reference {
  kind: Kind;
  build: Build;
  /** What loadModel reported it ran (must equal `build`). */
  ranRelaxed: boolean;
  n: number;
  classes: number;
  labels: number[];
  /** Image file names (imagenet) or record numbers (cifar). */
  names: string[];
  /** SHA-256 (hex) of each decoded image's RGB bytes (imagenet only: Pillow's decode). */
  pixelSha256: string[];
  /** n × classes probabilities, row-major. */
  probs: Float32Array;
}

export const CACHE_DIR = join(REPO_ROOT, 'tests/.cache/engines');

/** The photos of the ImageNet sample, in labels.tsv order. */
export function imagenetList(): { file: string; label: number }[] {
  const files = sharedFiles(DATASETS.imagenet.shared[0]);
  if (!files) return [];
  return readFileSync(files[0], 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [file, label] = l.split('\t');
      return { file, label: Number(label) };
    });
}

function hashTree(h: ReturnType<typeof createHash>, dir: string) {
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) hashTree(h, p);
    else h.update(f).update(readFileSync(p));
  }
}

function cacheKey(kind: Kind, build: Build): string {
  const h = createHash('sha256');
  h.update(`${kind}/${build}/${CIFAR_N}/${process.versions.node}/`);
  h.update(readFileSync(join(REPO_ROOT, 'models', DATASETS[kind].model)));
  hashTree(h, join(REPO_ROOT, 'src'));
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  if (kind === 'imagenet') h.update(readFileSync(join(SHARED_DIR, DATASETS.imagenet.shared[0])));
  else h.update(String(statSync(join(SHARED_DIR, DATASETS.cifar.shared[0])).size));
  return h.digest('hex').slice(0, 16);
}

/** The cached Node reference, computing it (in a child process) when missing. */
export function nodeReference(kind: Kind, build: Build): Reference {
  mkdirSync(CACHE_DIR, { recursive: true });
  const out = join(CACHE_DIR, `ref-${kind}-${build}-${cacheKey(kind, build)}`);
  if (!existsSync(`${out}.json`)) {
    const flags = build === 'fma' && Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
    const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', fileURLToPath(import.meta.url), kind, build, out], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: process.env,
    });
    if (r.status !== 0) throw new Error(`Node reference (${kind}, ${build}) failed with status ${r.status}`);
  }
  const meta = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as Omit<Reference, 'probs'>;
  const raw = readFileSync(`${out}.f32`);
  const probs = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (probs.length !== meta.n * meta.classes) throw new Error(`${out}.f32: ${probs.length} floats, expected ${meta.n * meta.classes}`);
  return { ...meta, probs };
}

/** Pillow's RGB bytes of each photo (the ImageNet sample), in list order. */
export function* pillowDecode(paths: string[]): Generator<{ width: number; height: number; data: Uint8Array }> {
  const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const buf = execFileSync(python, [join(REPO_ROOT, 'tests/e2e/engines/decode-pillow.py')], {
    input: paths.join('\n'),
    maxBuffer: 1 << 30,
  });
  let o = 0;
  while (o < buf.length) {
    const width = buf.readUInt32LE(o);
    const height = buf.readUInt32LE(o + 4);
    const n = width * height * 3;
    yield { width, height, data: new Uint8Array(buf.buffer, buf.byteOffset + o + 8, n) };
    o += 8 + n;
  }
}

async function main(kind: Kind, build: Build, out: string) {
  const { preprocessImage, softmax, getCapabilities } = await import('../../../src/index.js');
  const { openModel: loadModel } = await import('../../../src/runtime/model.js');
  // loadModel takes the fma build exactly when it is asked for and the engine has relaxed SIMD.
  const ranRelaxed = build === 'fma' && getCapabilities().relaxedSimd;
  if (build === 'fma' && !ranRelaxed) throw new Error(`Node ${process.versions.node} has no relaxed SIMD: no fma reference`);
  const wasm = build === 'fma' ? { fma: true } : { relaxedSimd: false };
  const m = await loadModel(join(REPO_ROOT, 'models', DATASETS[kind].model), { wasm });
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  const names: string[] = [];
  const pixelSha256: string[] = [];
  const classify = (img: { width: number; height: number; channels: 3; data: Uint8Array }) => {
    const y = m.run(preprocessImage(img, m.info)).data;
    rows.push(Float32Array.from(m.info.output.kind === 'logits' ? softmax(y) : y));
  };
  if (kind === 'cifar') {
    const bytes = readFileSync(join(SHARED_DIR, DATASETS.cifar.shared[0]));
    for (let i = 0; i < CIFAR_N; i++) {
      const o = i * CIFAR_RECORD;
      // planar R, G, B → interleaved RGB
      const data = new Uint8Array(3072);
      for (let p = 0; p < 1024; p++) {
        data[p * 3] = bytes[o + 1 + p];
        data[p * 3 + 1] = bytes[o + 1 + 1024 + p];
        data[p * 3 + 2] = bytes[o + 1 + 2048 + p];
      }
      classify({ width: 32, height: 32, channels: 3, data });
      labels.push(bytes[o]);
      names.push(`#${i}`);
    }
  } else {
    const list = imagenetList();
    const dir = join(SHARED_DIR, 'data/imagenet-sample');
    let i = 0;
    for (const img of pillowDecode(list.map((e) => join(dir, e.file)))) {
      pixelSha256.push(createHash('sha256').update(img.data).digest('hex'));
      classify({ ...img, channels: 3 as const });
      labels.push(list[i].label);
      names.push(list[i].file);
      i++;
    }
    if (i !== list.length) throw new Error(`Pillow decoded ${i} of ${list.length} photos`);
  }
  const classes = rows[0].length;
  const probs = new Float32Array(rows.length * classes);
  rows.forEach((r, i) => probs.set(r, i * classes));
  m.dispose();
  writeFileSync(`${out}.f32`, probs);
  const meta: Omit<Reference, 'probs'> = { kind, build, ranRelaxed, n: rows.length, classes, labels, names, pixelSha256 };
  writeFileSync(`${out}.json`, JSON.stringify(meta));
  console.log(`engines: Node ${process.versions.node} reference ${kind}/${build} (fma build: ${meta.ranRelaxed}): ${rows.length} images`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [kind, build, out] = process.argv.slice(2) as [Kind, Build, string];
  await main(kind, build, out);
}
