// The WASM backend: plans a validated model once (fusion, one activation arena, prepared
// weights, shared scratch) and then runs it with no allocation: each inference is the list
// of prepared kernel calls over fixed pointers.

import { ModelFormatError } from '../errors.js';
import { byteSize } from '../format/validate.js';
import type { XnnModel } from '../format/xnn.js';
import { unpackBits } from '../ops/bits.js';
import type { TensorType } from '../ops/spec.js';
import { type WasmSource, loadThreadedWasm } from '../wasm/load.js';
import { type PopcountStrategy, XnorKernels, choosePopcount, warmPopcount } from '../wasm/kernels.js';
import { KernelPool } from '../wasm/pool.js';
import { planArena } from './arena.js';
import type { Backend } from './backend.js';
import { type Step, fuse } from './fuse.js';
import { type PrepareContext, RUNTIME_OPS, attrsOf } from './ops.js';

export interface WasmBackendOptions {
  /** Where to load xnor.wasm from instead of the asset next to this module. */
  source?: WasmSource;
  /** Use the debug build (asserts on; one thread: with threads > 1 the release xnor.mt.wasm runs). */
  debug?: boolean;
  /**
   * The relaxed-SIMD builds (FMA float convs) where the engine has relaxed SIMD (default), or
   * false for the plain ones (float results the same on every machine). See `WasmBackend.relaxedSimd`.
   */
  relaxedSimd?: boolean;
  /** Popcount strategy; 'auto' (default) times both once per process and keeps the faster. */
  popcount?: PopcountStrategy | 'auto';
  /** Give every value its own memory so `read()` works for all of them after a run (tests). */
  keepValues?: boolean;
  /**
   * Threads for the heavy convs (default 1): threads − 1 kernel workers over one shared memory
   * (xnor.mt.wasm). Needs SharedArrayBuffer; if the workers cannot start, runs on one thread
   * (and warns). See `WasmBackend.threads` for what is used.
   */
  threads?: number;
  /** Where to load xnor.mt.wasm from (threads > 1) instead of the asset next to this module. */
  threadedSource?: WasmSource;
}

export interface StepProfile {
  name: string;
  op: string;
  covers: string[];
  ms: number;
}

let chosenPopcount: PopcountStrategy | undefined;
/** When the popcount race's block last ran on these kernels (startWasmKernels, performance.now()). */
const warmedAt = new WeakMap<XnorKernels, number>();
/** What V8 gets after those first calls to optimise bconv2d before the race times it. */
const WARM_MS = 10;

export class WasmBackend implements Backend {
  readonly kernels: XnorKernels;
  readonly steps: readonly Step[];
  readonly popcount: PopcountStrategy;
  /** Bytes of the activation arena and of everything prepared at load. */
  readonly arenaBytes: number;
  readonly memoryBytes: number;
  /** Threads the convs run on (1, or the size of the kernel pool). */
  readonly threads: number;
  /** Steps whose kernel is split across the threads (0 on one thread). */
  readonly parallelSteps: number;
  /** Whether the kernels are a relaxed-SIMD build (FMA in the float convs and dense layers). */
  readonly relaxedSimd: boolean;
  #pool: KernelPool | null;
  #runs: (() => void)[];
  #ptr: Map<string, number>;
  #types: Map<string, TensorType>;
  #input: { ptr: number; length: number };
  #output: { ptr: number; length: number };
  #disposed = false;

  constructor(model: XnnModel, k: XnorKernels, opts: WasmBackendOptions, pool: KernelPool | null = null) {
    this.kernels = k;
    this.#pool = pool;
    this.threads = pool?.threads ?? 1;
    this.relaxedSimd = k.relaxedSimd;
    const popcount = opts.popcount ?? 'auto';
    if (popcount === 'auto') {
      // not warmed: all of WARM_MS now; warmed: what has not passed since (in loadModel, the download)
      const at = warmedAt.get(k);
      chosenPopcount ??= choosePopcount(k, { warmMs: Math.max(0, WARM_MS - (at === undefined ? 0 : performance.now() - at)) }).strategy;
      k.setPopcount(chosenPopcount);
    } else k.setPopcount(popcount);
    this.popcount = k.getPopcount();
    this.#types = model.types;
    const steps = (this.steps = fuse(model));

    // Lifetimes: the graph input is written before step 0; outputs must survive the last step.
    const inputName = model.inputs[0].name;
    const first = new Map<string, number>([[inputName, -1]]);
    const last = new Map<string, number>([[inputName, -1]]);
    steps.forEach((s, i) => {
      first.set(s.output, i);
      last.set(s.output, Math.max(last.get(s.output) ?? i, i));
      for (const v of s.node.inputs) if (v && first.has(v)) last.set(v, i);
    });
    for (const o of model.outputs) last.set(o, steps.length);
    const names = [...first.keys()];
    const plan = planArena(
      names.map((n) => ({
        bytes: byteSize(this.type(n)),
        first: opts.keepValues ? -1 : first.get(n)!,
        last: opts.keepValues ? steps.length : last.get(n)!,
      })),
    );
    const arena = k.alloc(plan.size, 64);
    this.arenaBytes = plan.size;
    this.#ptr = new Map(names.map((n, i) => [n, arena + plan.offsets[i]]));

    // Constants used as data inputs (rare: the ops read weights themselves) are copied once.
    const constPtr = (name: string) => {
      let p = this.#ptr.get(name);
      if (p === undefined) {
        const t = model.tensors.get(name);
        if (!t) throw new ModelFormatError(`value "${name}" has no producer`);
        p = t.dtype === 'f32' ? k.putF32(t.data) : k.putBytes(t.data);
        this.#ptr.set(name, p);
      }
      return p;
    };
    let scratchBytes = 0;
    let scratchPtr = 0;
    // Parallel jobs get their pointers once scratch is placed (after every step is prepared).
    const binds: (() => void)[] = [];
    const parallel: PrepareContext['parallel'] = pool
      ? (entry, total, args, before) => {
          const job = pool.job(entry, total, before);
          binds.push(() => job.bind(args()));
          return job.run;
        }
      : undefined;
    this.#runs = steps.map((step) => {
      const node = step.node;
      const ctx: PrepareContext = {
        k,
        step,
        node,
        attrs: attrsOf(node),
        input: (i) => constPtr(node.inputs[i]),
        inType: (i) => this.type(node.inputs[i]),
        output: this.#ptr.get(step.output)!,
        outType: this.type(step.output),
        f32: (n) => model.f32(n),
        b1: (n) => model.b1(n),
        needScratch: (b) => void (scratchBytes = Math.max(scratchBytes, b)),
        scratch: () => scratchPtr,
        threads: this.threads,
        parallel,
      };
      try {
        return RUNTIME_OPS[node.op](ctx);
      } catch (e) {
        throw new ModelFormatError(`node "${node.name}" (${node.op}): ${(e as Error).message}`);
      }
    });
    scratchPtr = k.alloc(scratchBytes, 64);
    for (const bind of binds) bind();
    this.parallelSteps = binds.length;
    this.#input = { ptr: this.#ptr.get(inputName)!, length: byteSize(this.type(inputName)) / 4 };
    const out = model.outputs[0];
    const outType = this.type(out);
    if (outType.dtype !== 'f32') throw new ModelFormatError(`output "${out}" must be f32, is ${outType.dtype}`);
    this.#output = { ptr: this.#ptr.get(out)!, length: byteSize(outType) / 4 };
    this.memoryBytes = k.memory.buffer.byteLength;
  }

  private type(name: string): TensorType {
    const t = this.#types.get(name);
    if (!t) throw new ModelFormatError(`value "${name}" has no inferred type`);
    return t;
  }

  /** Runs one inference; returns a view into WASM memory valid until the next run. */
  run(input: Float32Array): Float32Array {
    this.#check();
    const heap = this.#heap();
    if (input.length === this.#input.length) heap.set(input, this.#input.ptr >>> 2);
    else heap.set(input.subarray(0, this.#input.length), this.#input.ptr >>> 2);
    this.#inference(this.#runAll);
    return this.#outView!;
  }

  // Memory only grows while planning, so after load these views are made once: an
  // inference creates no objects.
  #heapView: Float32Array | null = null;
  #outView: Float32Array | null = null;
  #heap(): Float32Array {
    const buf = this.kernels.memory.buffer;
    if (this.#heapView?.buffer !== buf) {
      this.#heapView = new Float32Array(buf);
      this.#outView = new Float32Array(buf, this.#output.ptr, this.#output.length);
    }
    return this.#heapView;
  }

  /** Runs once, timing every step. */
  profile(input: Float32Array): StepProfile[] {
    this.#check();
    this.kernels.writeF32(this.#input.ptr, input.subarray(0, this.#input.length));
    return this.#inference(() =>
      this.#runs.map((r, i) => {
        const t0 = performance.now();
        r();
        const s = this.steps[i];
        return { name: s.node.name, op: s.node.op, covers: s.covers, ms: performance.now() - t0 };
      }),
    );
  }

  /** One inference's steps; a field, so run() creates no closure. */
  readonly #runAll = () => {
    for (const r of this.#runs) r();
  };

  /** Runs `steps` with the kernel workers spinning between jobs (KernelPool.begin/end), if any are used. */
  #inference<T>(steps: () => T): T {
    const pool = this.parallelSteps ? this.#pool : null;
    pool?.begin();
    try {
      return steps();
    } finally {
      pool?.end();
    }
  }

  /** The current content of a value (±1 floats for binary values), or null if it was fused away. */
  read(name: string): Float32Array | null {
    this.#check();
    const p = this.#ptr.get(name);
    const t = this.#types.get(name);
    if (p === undefined || !t || !this.steps.some((s) => s.output === name)) return null;
    const bytes = byteSize(t);
    return t.dtype === 'f32' ? this.kernels.readF32(p, bytes / 4) : unpackBits(this.kernels.readBytes(p, bytes), t.shape);
  }

  dispose(): void {
    // Dropping the last reference to the instance frees its memory; nothing else holds it.
    this.#disposed = true;
    this.#runs = [];
    this.#ptr.clear();
    this.#pool?.dispose();
    this.#pool = null;
  }

  #check() {
    if (this.#disposed) throw new Error('WasmBackend used after dispose()');
  }
}

/** What a WasmBackend runs on: the kernels, and their workers when threads > 1. */
export interface WasmKernels {
  k: XnorKernels;
  pool: KernelPool | null;
}

/**
 * Everything a WasmBackend needs that does not depend on the model: compiles and instantiates
 * the kernels, starts the workers (threads > 1; one thread if they cannot start) and warms the
 * popcount race up. loadModel runs it while the model downloads.
 */
export async function startWasmKernels(opts: WasmBackendOptions = {}): Promise<WasmKernels> {
  const threads = opts.threads ?? 1;
  const pooled = threads > 1 ? await startPool(threads, opts.threadedSource, opts.relaxedSimd) : null;
  const ready = pooled ?? { k: await XnorKernels.load({ source: opts.source, debug: opts.debug, relaxedSimd: opts.relaxedSimd }), pool: null };
  // Only the warm-up runs now: CPU work on this thread while the model downloads slows the
  // download (the body is read on this thread). The race runs when planning starts.
  if ((opts.popcount ?? 'auto') === 'auto' && !chosenPopcount) {
    warmPopcount(ready.k);
    warmedAt.set(ready.k, performance.now());
  }
  return ready;
}

/** Plans `model` on started kernels; if planning fails, their workers are stopped. */
export function planWasmBackend(model: XnnModel, kernels: WasmKernels, opts: WasmBackendOptions = {}): WasmBackend {
  try {
    return new WasmBackend(model, kernels.k, opts, kernels.pool);
  } catch (e) {
    kernels.pool?.dispose();
    throw e;
  }
}

export async function createWasmBackend(model: XnnModel, opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  return planWasmBackend(model, await startWasmKernels(opts), opts);
}

/** The threaded kernels and their workers, or null (with a warning) when they cannot start. */
async function startPool(threads: number, source?: WasmSource, relaxedSimd?: boolean): Promise<{ k: XnorKernels; pool: KernelPool } | null> {
  try {
    const mt = await loadThreadedWasm(source, relaxedSimd);
    const k = new XnorKernels(mt.instance);
    return { k, pool: await KernelPool.create(k, mt.module, threads) };
  } catch (e) {
    console.warn(`xnor-web: ${threads} threads could not start (${(e as Error).message}); running single-threaded.`);
    return null;
  }
}
