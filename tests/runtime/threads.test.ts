// Kernel threads (docs/THREADS.md) in Node (worker_threads): 2 and 3 threads give outputs
// bit-identical to one thread, layer by layer, on the shipped models (relaxed-SIMD, fma and plain
// builds) and the BMXNet ImageNet ResNet-18; dispose() ends the workers; a threaded build that cannot load falls back to one
// thread.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { convertBmxnet } from '../../src/convert/bmxnet.js';
import { readXnn, writeXnn, type XnnModel } from '../../src/format/index.js';
import { openModel as loadModel } from '../../src/runtime/model.js';
import { createWasmBackend } from '../../src/runtime/wasm-backend.js';
import { XnorKernels } from '../../src/wasm/kernels.js';
import { loadThreadedWasm } from '../../src/wasm/load.js';
import { DEFAULT_TUNING, KernelPool, type PoolTuning } from '../../src/wasm/pool.js';
import { mulberry32 } from '../helpers/rng.js';
import { REPO_ROOT, sharedFiles } from '../helpers/shared.js';

const SHIPPED = ['cifar10-xnor', 'cifar10-bwn', 'fashion-mnist-xnor', 'fashion-mnist-bwn'];

/** models/imagenet-resnet18.xnn (shipped), else converted from the shared BMXNet files; null when absent. */
function imagenetResnet18(): Uint8Array | null {
  const built = join(REPO_ROOT, 'models/imagenet-resnet18.xnn');
  if (existsSync(built)) return readFileSync(built);
  const files = sharedFiles(
    'models/bmxnet/binarized_imagenet-resnet18-64bit-symbol.json',
    'models/bmxnet/binarized_imagenet-resnet18-64bit-0040.params',
  );
  if (!files) return null;
  return writeXnn(convertBmxnet(readFileSync(files[0], 'utf8'), readFileSync(files[1]), 'imagenet', { labels: [] }));
}

/** Seeded inputs over the model's declared value range. */
function inputs(g: XnnModel, count: number, seed: number): Float32Array[] {
  const r = mulberry32(seed);
  const [lo, hi] = g.metadata.input.valueRange;
  const n = g.inputs[0].shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => Float32Array.from({ length: n }, () => lo + (hi - lo) * r()));
}

/** First index where two arrays differ bit for bit (NaN payloads and -0 included), or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.findIndex((v, i) => v !== ub[i]);
}

type Build = 'relaxed' | 'fma' | 'plain';
const BUILD_OPTIONS = { relaxed: {}, fma: { fma: true }, plain: { relaxedSimd: false } } as const;
const buildOf = (b: { relaxedSimd: boolean; fma: boolean }): Build => (b.fma ? 'fma' : b.relaxedSimd ? 'relaxed' : 'plain');

/**
 * Every step's output with `threads` threads, on each input, against one thread; both on the
 * same build (relaxed: the default, as vitest.config.ts gives Node 20 relaxed SIMD).
 */
async function compareThreads(g: XnnModel, threads: number, xs: Float32Array[], build: Build = 'relaxed', poolTuning?: PoolTuning) {
  const one = await createWasmBackend(g, { keepValues: true, ...BUILD_OPTIONS[build] });
  const many = await createWasmBackend(g, { keepValues: true, threads, poolTuning, ...BUILD_OPTIONS[build] });
  const problems: string[] = [];
  try {
    for (const x of xs) {
      one.run(x);
      many.run(x);
      for (const step of one.steps) {
        const a = one.read(step.output)!, b = many.read(step.output)!;
        const i = firstBitDifference(a, b);
        if (i >= 0) problems.push(`${step.covers.join('+')}[${i}]: ${b[i]} (threads ${threads}) != ${a[i]}`);
      }
    }
    const builds = [buildOf(one), buildOf(many)];
    return { problems, threads: many.threads, parallelSteps: many.parallelSteps, steps: many.steps.length, builds };
  } finally {
    one.dispose();
    many.dispose();
  }
}

describe('kernel workers over one shared memory', () => {
  it('starting them re-applies the data segment (the same bytes) and writes nothing else', async () => {
    const mt = await loadThreadedWasm();
    const k = new XnorKernels(mt.instance);
    const probe = k.alloc(4096);
    k.u8().fill(0x5a, probe, probe + 4096);
    const before = k.readBytes(0, k.memory.buffer.byteLength);
    expect(before.subarray(1024, 1024 + 256).some((b) => b !== 0)).toBe(true); // the Mathf.exp table
    k.u8().fill(0, 0, k.base); // everything below heapBase
    const pool = await KernelPool.create(k, mt.module, 3);
    try {
      expect(k.readBytes(0, before.length)).toEqual(before);
    } finally {
      pool.dispose();
    }
  });
});

describe('threads give bit-identical outputs to one thread, every layer', () => {
  const builds = ['relaxed', 'fma', 'plain'] as const;
  it.each(SHIPPED.flatMap((m) => [2, 3].flatMap((t) => builds.map((b) => [m, t, b] as const))))('%s, %i threads, %s build', async (name, threads, build) => {
    const g = readXnn(readFileSync(join(REPO_ROOT, `models/${name}.xnn`)));
    const r = await compareThreads(g, threads, inputs(g, 3, threads * 7), build);
    expect(r.problems).toEqual([]);
    expect(r.builds).toEqual([build, build]);
    expect(r.threads).toBe(threads);
    expect(r.parallelSteps).toBeGreaterThan(0);
  });

  const resnet18 = imagenetResnet18(); // null: shared models absent (sharedFiles throws when CI=true)
  it.skipIf(!resnet18).each([2, 3])('BMXNet ImageNet ResNet-18, %i threads', async (threads) => {
    const g = readXnn(resnet18!);
    const r = await compareThreads(g, threads, inputs(g, 2, threads));
    expect(r.problems).toEqual([]);
    expect(r.builds).toEqual(['relaxed', 'relaxed']); // the default where the engine has relaxed SIMD
    expect(r.threads).toBe(threads);
    // split: the stem and all 20 binary convs (the 1x1 shortcuts included); the input BatchNorm,
    // the max-pool, the 56² and 28² Binarize and the 56², 28² and 14² Add steps (11), the Dense
    expect(r.parallelSteps).toBe(35);
  });
});

describe('every pool tuning (chunk schedule, polling) gives the bits of one thread', () => {
  const tunings: Record<string, PoolTuning> = {
    'guided, 4 per thread': { ...DEFAULT_TUNING, schedule: 'guided', chunksPerThread: 4 },
    'guided, 2 per thread': { ...DEFAULT_TUNING, schedule: 'guided', chunksPerThread: 2 },
    'even, 16 per thread, no polling': { ...DEFAULT_TUNING, chunksPerThread: 16, spin: 0, inferenceSpin: 0 },
    'fixed polling (no adaptation)': { ...DEFAULT_TUNING, adaptiveSpin: false },
  };
  it.each(Object.keys(tunings).flatMap((t) => [2, 3].flatMap((n) => ['cifar10-xnor', 'fashion-mnist-bwn'].map((m) => [t, n, m] as const))))(
    '%s, %i threads, %s',
    async (tuning, threads, name) => {
      const g = readXnn(readFileSync(join(REPO_ROOT, `models/${name}.xnn`)));
      const r = await compareThreads(g, threads, inputs(g, 2, threads * 5), 'relaxed', tunings[tuning]);
      expect(r.problems).toEqual([]);
      expect(r.threads).toBe(threads);
      expect(r.parallelSteps).toBeGreaterThan(0);
    },
  );

  it('the pool counts its split jobs, their units and the ones the calling thread ran', async () => {
    const g = readXnn(readFileSync(join(REPO_ROOT, 'models/cifar10-xnor.xnn')));
    const b = await createWasmBackend(g, { threads: 2 });
    try {
      const [x] = inputs(g, 1, 3);
      for (let i = 0; i < 5; i++) b.run(x);
      const s = b.poolStats!;
      // a step may hold two jobs and run one (the integer stem, or its float fallback)
      const perRun = s.jobs / 5;
      expect(Number.isInteger(perRun) && perRun > 0 && perRun <= b.parallelSteps).toBe(true);
      for (let i = 0; i < 5; i++) b.run(x);
      expect(s.jobs).toBe(10 * perRun);
      expect(s.callerUnits).toBeGreaterThan(0);
      expect(s.callerUnits).toBeLessThanOrEqual(s.units);
      expect(s.waitMs).toBeGreaterThanOrEqual(0);
    } finally {
      b.dispose();
    }
  });

  const resnet18 = imagenetResnet18();
  it.skipIf(!resnet18)('BMXNet ImageNet ResNet-18, 2 threads, guided', async () => {
    const g = readXnn(resnet18!);
    const r = await compareThreads(g, 2, inputs(g, 1, 9), 'relaxed', tunings['guided, 4 per thread']);
    expect(r.problems).toEqual([]);
    expect(r.parallelSteps).toBe(35);
  });
});

describe('loadModel({ threads })', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports the threads it uses and runs the same as one thread', async () => {
    const bytes = readFileSync(join(REPO_ROOT, 'models/cifar10-xnor.xnn'));
    const m1 = await loadModel(bytes);
    const m2 = await loadModel(bytes, { threads: 2 });
    const m3 = await loadModel(bytes, { threads: true });
    try {
      expect([m1.threads, m2.threads]).toEqual([1, 2]);
      expect(m3.threads).toBeGreaterThanOrEqual(2);
      for (const x of inputs(m1.graph, 2, 5)) {
        const y1 = m1.run(x).data;
        expect(firstBitDifference(m2.run(x).data, y1)).toBe(-1);
        expect(firstBitDifference(m3.run(x).data, y1)).toBe(-1);
      }
    } finally {
      m1.dispose();
      m2.dispose();
      m3.dispose();
    }
  });

  it('falls back to one thread, with a warning, when the threaded kernels cannot load', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const bytes = readFileSync(join(REPO_ROOT, 'models/fashion-mnist-xnor.xnn'));
    const m = await loadModel(bytes, { threads: 2, wasm: { threadedSource: new URL('../../no/such/xnor.mt.wasm', import.meta.url) } });
    try {
      expect(m.threads).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/2 threads could not start.*no\/such\/xnor\.mt\.wasm.*single-threaded/s);
      expect(m.run(inputs(m.graph, 1, 1)[0]).data.length).toBe(10);
    } finally {
      m.dispose();
    }
  });

  it('runs on one thread where SharedArrayBuffer is unavailable (a page that is not cross-origin isolated)', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const g = globalThis as { window?: unknown; crossOriginIsolated?: boolean };
    g.window = g;
    g.crossOriginIsolated = false;
    try {
      const m = await loadModel(readFileSync(join(REPO_ROOT, 'models/fashion-mnist-xnor.xnn')), { threads: 2 });
      expect(m.threads).toBe(1);
      m.dispose();
    } finally {
      delete g.window;
      delete g.crossOriginIsolated;
    }
  });

  it.runIf(existsSync('/proc/self/task'))('dispose() ends the kernel worker threads', async () => {
    const osThreads = () => readdirSync('/proc/self/task').length;
    const bytes = readFileSync(join(REPO_ROOT, 'models/fashion-mnist-bwn.xnn'));
    const settle = async (want: number) => {
      for (let i = 0; i < 200 && osThreads() !== want; i++) await new Promise((ok) => setTimeout(ok, 25));
      return osThreads();
    };
    // a first load also starts what Node starts once (libuv's pool for reading xnor.mt.wasm)
    const warm = await loadModel(bytes, { threads: 2 });
    const withWarm = osThreads();
    warm.dispose();
    const before = await settle(withWarm - 1);
    const m = await loadModel(bytes, { threads: 3 });
    expect(osThreads()).toBe(before + 2);
    m.dispose();
    expect(await settle(before)).toBe(before);
  });
});
