// What the browser benchmark serves, made before Chromium starts (nothing is downloaded):
//  - the models: models/imagenet-resnet18.xnn (`npm run models`, from ../shared), and in
//    bench/.cache (git-ignored) the float torchvision-style ONNX nets and the XNOR AlexNet
//    (bench/models.py, then `xnor-web convert`), each made once;
//  - the bench page (bench/page, built by Vite into bench/.cache/site);
//  - links in the site to the models and to the engines' own .wasm/.mjs files in node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine, ModelName } from './page/protocol.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = join(REPO, 'bench/.cache');
export const SITE = join(CACHE, 'site');
const PYTHON = process.env.XNOR_PYTHON ?? '/usr/bin/python3';
const SHARED = process.env.XNOR_SHARED ?? resolve(REPO, '../shared');

/** The file each engine runs for each model, relative to the repository. */
export const MODEL_FILES: Record<ModelName, Partial<Record<Engine, string>>> = {
  resnet18: {
    'xnor-web': 'models/imagenet-resnet18.xnn',
    'onnxruntime-web': 'bench/.cache/resnet18-float.onnx',
  },
  alexnet: {
    // exact form (integer stem), made from alexnet-xnor.xnn by bench/exact-stem.ts
    'xnor-web': 'bench/.cache/alexnet-xnor-exact.xnn',
    'onnxruntime-web': 'bench/.cache/alexnet-float.onnx',
  },
};

/** Where the engines' runtime files are served from (see engines/ort.ts and engines/tfjs.ts). */
const ENGINE_DIRS: Record<string, string> = {
  ort: 'node_modules/onnxruntime-web/dist',
  tfjs: 'node_modules/@tensorflow/tfjs-backend-wasm/dist',
};

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  execFileSync(cmd, args, { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });

const have = (rel: string) => existsSync(join(REPO, rel)) && statSync(join(REPO, rel)).size > 0;

/** Makes the model files `models` need; says on `log` what it makes. */
export function ensureModels(models: ModelName[], log: (s: string) => void): void {
  const need = models.flatMap((m) => Object.values(MODEL_FILES[m]) as string[]);
  if (need.includes('models/imagenet-resnet18.xnn') && !have('models/imagenet-resnet18.xnn')) {
    if (!existsSync(join(SHARED, 'models/bmxnet/binarized_imagenet-resnet18-64bit-0040.params')))
      throw new Error(`models/imagenet-resnet18.xnn is missing and ${SHARED} has no BMXNet ResNet-18 to build it from (set XNOR_SHARED)`);
    log('bench: scripts/ship-imagenet.sh (BMXNet ResNet-18 from the shared folder)');
    run('bash', ['scripts/ship-imagenet.sh']);
  }
  const onnx = need
    .map((f) => (f.endsWith('alexnet-xnor-exact.xnn') ? 'bench/.cache/alexnet-xnor.onnx' : f))
    .filter((f) => f.startsWith('bench/.cache/') && f.endsWith('.onnx') && !have(f))
    .map((f) => f.slice('bench/.cache/'.length, -'.onnx'.length));
  if (onnx.length) {
    log(`bench: exporting ${onnx.join(', ')} to ONNX (bench/models.py, random weights)`);
    mkdirSync(CACHE, { recursive: true });
    run(PYTHON, [join(REPO, 'bench/models.py'), CACHE, ...onnx], { PYTHONPATH: join(REPO, 'training') });
  }
  const exact = 'bench/.cache/alexnet-xnor-exact.xnn';
  if (need.includes(exact) && !have(exact)) {
    const out = join(CACHE, 'alexnet-xnor.xnn');
    if (!have('bench/.cache/alexnet-xnor.xnn')) {
      log('bench: xnor-web convert alexnet-xnor.onnx');
      run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'convert', join(CACHE, 'alexnet-xnor.onnx'), '-o', out + '.tmp']);
      renameSync(out + '.tmp', out);
    }
    log('bench: alexnet-xnor.xnn in exact form (bench/exact-stem.ts)');
    run(process.execPath, ['--import', 'tsx', 'bench/exact-stem.ts', out, join(REPO, exact + '.tmp')]);
    renameSync(join(REPO, exact + '.tmp'), join(REPO, exact));
  }
}

/** Builds the page into SITE and links the engines' files and the models next to it. */
export async function buildSite(): Promise<void> {
  if (!have('src/wasm/xnor.relaxed.wasm') || !have('src/wasm/xnor.mt.relaxed.wasm')) run('npm', ['run', 'build:wasm', '--silent']);
  const { build } = await import('vite');
  await build({ configFile: join(REPO, 'bench/page/vite.config.ts'), logLevel: 'warn' });
  for (const [at, dir] of Object.entries(ENGINE_DIRS)) {
    if (!existsSync(join(REPO, dir))) throw new Error(`${dir} is missing: run npm install`);
    symlinkSync(join(REPO, dir), join(SITE, at));
  }
  const models = join(SITE, 'models');
  rmSync(models, { recursive: true, force: true });
  mkdirSync(models);
  for (const files of Object.values(MODEL_FILES))
    for (const f of Object.values(files)) {
      const name = f.split('/').pop()!;
      if (have(f) && !existsSync(join(models, name))) symlinkSync(join(REPO, f), join(models, name));
    }
}

/** The URL path the page fetches `file` (a MODEL_FILES entry) from. */
export const modelUrl = (file: string) => `/models/${file.split('/').pop()}`;
