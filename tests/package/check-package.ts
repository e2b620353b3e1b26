// `npm run check:package` (after publint and attw): checks the packed tarball itself.
//  - what it contains (dist JS + .d.ts + xnor.wasm and its threaded/relaxed-SIMD twins, the CLI,
//    the ImageNet ResNet-18 with its model card; no sources, tests or other models);
//  - every JS entry in `exports` has `types`; the node and browser conditions resolve to the
//    same files, so both load the same dist/wasm/xnor.wasm;
//  - `import('xnor-web')` in Node, from the installed tarball, touches no browser global
//    (window, document, self, navigator, location, fetch, caches, Worker …);
//  - Node loads a shipped model through the installed package (the same .wasm, by file URL),
//    also on 2 threads (xnor.mt.wasm and the kernel worker script, docs/THREADS.md).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installTarball, packTarball, REPO_ROOT } from './pack.js';

const fail: string[] = [];
const check = (ok: unknown, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) fail.push(what);
};

const tarball = packTarball();
const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
for (const f of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/wasm/xnor.wasm', 'dist/wasm/xnor.mt.wasm',
  'dist/wasm/xnor.relaxed.wasm', 'dist/wasm/xnor.mt.relaxed.wasm', 'dist/wasm/xnor.fma.wasm', 'dist/wasm/xnor.mt.fma.wasm', 'dist/wasm/kernel-worker.js', 'dist/wasm/load.js', 'dist/worker/worker.js', 'models/labels/cifar10-classes.txt'])
  check(files.includes(f), `tarball has ${f}`);
check(!files.some((f) => /^(src|tests|assembly|training|bench|examples)\//.test(f)), 'tarball has no sources, tests or examples');
// One model ships in the package, with its model card and licence notice: the ImageNet ResNet-18.
check(JSON.stringify(files.filter((f) => f.endsWith('.xnn'))) === '["models/imagenet-resnet18.xnn"]', 'tarball has one .xnn model, models/imagenet-resnet18.xnn');
check(files.includes('models/imagenet-resnet18.md') && files.includes('NOTICE'), 'tarball has the model card and NOTICE');
check(files.includes('dist/cli/main.js') && files.includes('bin/xnor-web.js'), 'tarball has the CLI');

const dir = installTarball(tarball);
rmSync(tarball, { force: true });
const pkgDir = join(dir, 'node_modules/xnor-web');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

type Target = string | { [condition: string]: Target } | null;
/** Resolves an exports target for a set of conditions (first matching key wins, as in Node). */
function resolveTarget(t: Target, conditions: string[]): string | null {
  if (t == null || typeof t === 'string') return t;
  for (const [k, v] of Object.entries(t)) if (k === 'default' || conditions.includes(k)) {
    const r = resolveTarget(v, conditions);
    if (r) return r;
  }
  return null;
}
for (const [entry, target] of Object.entries(pkg.exports as Record<string, Target>)) {
  const node = resolveTarget(target, ['node', 'import']);
  const browser = resolveTarget(target, ['browser', 'import']);
  check(node === browser && node && existsSync(join(pkgDir, node)), `exports["${entry}"]: node and browser resolve to the same file (${node})`);
  if (node?.endsWith('.js')) {
    const types = resolveTarget(target, ['types']);
    check(types?.endsWith('.d.ts') && existsSync(join(pkgDir, types)), `exports["${entry}"] has types (${types})`);
  }
}

// Import in Node with every browser global trapped: reading one at import time is a bug.
const TRAPPED = ['window', 'document', 'self', 'navigator', 'location', 'fetch', 'caches', 'Worker', 'crossOriginIsolated',
  'localStorage', 'indexedDB', 'createImageBitmap', 'OffscreenCanvas', 'HTMLCanvasElement', 'importScripts', 'Image'];
writeFileSync(
  join(dir, 'trap.mjs'),
  `const touched = (globalThis.__touched = []);
for (const n of ${JSON.stringify(TRAPPED)}) {
  const d = Object.getOwnPropertyDescriptor(globalThis, n);
  Object.defineProperty(globalThis, n, {
    configurable: true,
    get() { touched.push(n); return d ? (d.get ? d.get.call(globalThis) : d.value) : undefined; },
    set(v) { touched.push(n + '='); },
  });
}
`,
);
const model = join(REPO_ROOT, 'models/fashion-mnist-xnor.xnn');
const script = `
const x = await import('xnor-web');
const touched = [...globalThis.__touched];
if (touched.length) { console.log(JSON.stringify({ touched })); process.exit(0); }
const m = await x.loadModel(${JSON.stringify(model)});
const m2 = await x.loadModel(${JSON.stringify(model)}, { threads: 2 });
const input = new Float32Array(28 * 28).map((_, i) => (i % 17) / 16);
const y1 = (await m.run(input)).data;
const same = (await m2.run(input)).data.every((v, i) => Object.is(v, y1[i]));
const out = { touched, exports: Object.keys(x).length, caps: x.getCapabilities(), classes: m.outputShape, threads: m2.threads, same };
m.dispose();
m2.dispose();
console.log(JSON.stringify(out));
`;
const res = JSON.parse(
  execFileSync(process.execPath, ['--import', './trap.mjs', '--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' }).trim().split('\n').at(-1)!,
);
check(res.touched.length === 0, `import('xnor-web') in Node touches no browser global${res.touched.length ? ': ' + res.touched.join(', ') : ''}`);
if (res.caps) {
  check(res.caps.simd === true && ['scalar', 'simd'].includes(res.caps.popcount), `Node: loadModel works from the tarball (${JSON.stringify(res.caps)})`);
  check(res.classes?.at(-1) === 10, 'Node: the shipped Fashion-MNIST model has 10 classes');
  check(res.threads === 2 && res.same === true, `Node: threads: 2 from the tarball runs 2 threads, same output (${res.threads}, ${res.same})`);
}
// A consumer's code (the README's API example) type-checks against the tarball's exports and
// .d.ts alone: moduleResolution Bundler, no paths, no @types/node.
const consumerDir = join(dir, 'consumer');
mkdirSync(consumerDir, { recursive: true });
copyFileSync(join(REPO_ROOT, 'tests/package/consumer/readme-example.ts'), join(consumerDir, 'readme-example.ts'));
writeFileSync(
  join(consumerDir, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [], strict: true, noEmit: true },
    include: ['*.ts'],
  }),
);
const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', consumerDir], { cwd: consumerDir, encoding: 'utf8' });
check(tsc.status === 0, `the README's API example type-checks against the tarball${tsc.status ? ':\n' + tsc.stdout + tsc.stderr : ''}`);
rmSync(dir, { recursive: true, force: true });

if (fail.length) {
  console.error(`\ncheck:package: ${fail.length} failed`);
  process.exit(1);
}
console.log('\ncheck:package: all good');
