// The WASM backend: plans a validated model once (fusion, one activation arena, prepared weights, shared
// scratch), then runs it with no allocation: each inference is the list of prepared kernel calls.

import { notePopcount } from '../capabilities.js';
import { ModelFormatError } from '../errors.js';
import { byteSize } from '../format/validate.js';
import type { XnnModel } from '../format/xnn.js';
import { unpackBits } from '../ops/bits.js';
import type { TensorType } from '../ops/spec.js';
import { type WasmSource, loadThreadedWasm } from '../wasm/load.js';
import {
  type BconvShape, type ConvGeometry, type PopcountChoice, type PopcountStrategy, XnorKernels, bconvShape, choosePopcount,
  reservePopcountRace,
} from '../wasm/kernels.js';
import { KernelPool, type PoolTuning } from '../wasm/pool.js';
import { planArena } from './arena.js';
import type { Backend } from './backend.js';
import { type Step, fuse } from './fuse.js';
import { type BwnKernel, type PrepareContext, RUNTIME_OPS, attrsOf } from './ops.js';

export interface WasmBackendOptions {
  /** Where to load xnor.wasm from instead of the asset next to this module. */
  source?: WasmSource;
  /** Use the debug build (asserts on; one thread: with threads > 1 the release xnor.mt.wasm runs). */
  debug?: boolean;
  /**
   * Default: the relaxed-SIMD builds where the engine has relaxed SIMD (the same bits as the
   * plain ones); false: the plain ones. See `WasmBackend.relaxedSimd`.
   */
  relaxedSimd?: boolean;
  /** true: the fma builds (FMA float convs: other float bits) where the engine has relaxed SIMD. */
  fma?: boolean;
  /**
   * Popcount strategy; 'auto' (default) races scalar, SIMD and hybrid once per process, after
   * the first backend's third inference (scalar until then), and gives each binary conv the
   * fastest for its loop shape (choosePopcount); a name forces it.
   */
  popcount?: PopcountStrategy | 'auto';
  /** Give every value its own memory so `read()` works for all of them after a run (tests). */
  keepValues?: boolean;
  /** @internal Benchmarks: BwnConv2D's kernel (ops.ts BwnKernel; default 'table'). */
  bwnKernel?: BwnKernel;
  /**
   * @internal loadModel from a URL of known length: check the file's header and graph as soon as
   * they have downloaded (HeaderAhead), and on one thread prepare each layer as soon as its
   * weights have (WasmBackend.advance), in background tasks, instead of after the download.
   * Default false: its A/B runs showed no clear win (bench/results/code-notes.md, "Cold start").
   */
  planAhead?: boolean;
  /**
   * Threads for the heavy convs (default 1): threads − 1 kernel workers over one shared memory
   * (xnor.mt.wasm). Needs SharedArrayBuffer; if the workers cannot start, runs on one thread
   * (and warns). See `WasmBackend.threads` for what is used.
   */
  threads?: number;
  /** Where to load xnor.mt.wasm from (threads > 1) instead of the asset next to this module. */
  threadedSource?: WasmSource;
  /**
   * Threads > 1, experimental: now and then time a few inferences on this thread alone and run
   * that way while it is faster (another process holding the other cores: ThreadsGovernor). The
   * outputs are the same bits either way. Default false (always split): on the shared 2-vCPU
   * machine where it was written the gain could not be told from the noise (docs/THREADS.md).
   */
  adaptThreads?: boolean;
  /** @internal Benchmarks and tests: how the kernel pool cuts jobs and polls (pool.ts DEFAULT_TUNING). */
  poolTuning?: PoolTuning;
  /** @internal Tests: decides solo vs split per run instead of a ThreadsGovernor. */
  threadsGovernor?: { next(solo: boolean, ms: number): boolean };
}

/**
 * Decides, run by run, whether a threaded backend splits its steps or runs them on the calling
 * thread alone. When the other cores are busy (another process, a busy browser), a worker that
 * the OS deschedules holds up every split step, and 2 threads measured slower than 1
 * (bench/results/code-notes.md). So every `interval` inferences the other mode is tried for
 * PROBE runs, and takes over when its fastest probe beats the fastest of the PROBE runs just
 * before by 5 % (the 0.95 below; like against like: a fastest-of-n against a median would
 * favour the probe under noise). A probe that loses doubles the interval (up to MAX_INTERVAL,
 * so probing costs little on a quiet machine); a switch resets it. Nothing here allocates per run.
 */
export class ThreadsGovernor {
  static readonly FIRST = 8;
  static readonly PROBE = 3;
  static readonly MAX_INTERVAL = 512;
  #interval = 32;
  #until = ThreadsGovernor.FIRST;
  #count = 0;
  /** The last PROBE times of the mode in use (a ring). */
  #recent = new Float64Array(ThreadsGovernor.PROBE);
  #filled = 0;
  #probeLeft = 0;
  #probeBest = Infinity;

  /** Given the mode the last inference ran in (solo or not) and its ms, the mode of the next one. */
  next(solo: boolean, ms: number): boolean {
    this.#count++;
    if (this.#probeLeft > 0) {
      // the last run was a probe of the other mode
      this.#probeBest = Math.min(this.#probeBest, ms);
      if (--this.#probeLeft > 0) return solo;
      let best = Infinity;
      for (let i = 0; i < ThreadsGovernor.PROBE; i++) best = Math.min(best, this.#recent[i]);
      const wins = this.#probeBest < 0.95 * best;
      if (wins) {
        this.#filled = 0;
        this.#interval = 32;
      } else this.#interval = Math.min(ThreadsGovernor.MAX_INTERVAL, this.#interval * 2);
      this.#until = this.#count + this.#interval;
      return wins ? solo : !solo;
    }
    this.#recent[this.#filled++ % ThreadsGovernor.PROBE] = ms;
    if (this.#count >= this.#until && this.#filled >= ThreadsGovernor.PROBE) {
      this.#probeLeft = ThreadsGovernor.PROBE;
      this.#probeBest = Infinity;
      return !solo;
    }
    return solo;
  }
}

export interface StepProfile {
  name: string;
  op: string;
  covers: string[];
  ms: number;
}

/** The popcount race's latest result in this process (null: not raced yet). */
let chosenPopcount: PopcountChoice | null = null;
/** Races run in this process (at most RACE_AFTER.length). */
let racesRun = 0;
/** Until the race has run: scalar everywhere (the strategy that won before the hybrid). */
const PROVISIONAL: PopcountChoice = { strategy: 'scalar', perShape: { k3c64: 'scalar', k1: 'scalar', general: 'scalar' } };
/**
 * The inferences after which an 'auto' backend races the popcount strategies (choosePopcount)
 * and rewrites its binary convs' params, if no backend of the process has run that race yet;
 * later backends start with the latest result. Not at load: V8 optimises bconv2d only after it
 * has run a while, a race on baseline (Liftoff) code, where SIMD is slow, ranks the hybrid below
 * scalar where optimised code ranks it above, and racing at load slowed a cold start (measured:
 * bench/results/code-notes.md). By the third inference the model's own runs have usually
 * warmed bconv2d, but V8 optimises in the background: on a busy machine the first race can
 * still see baseline code, so a second race, whose result is final, runs after the 20th.
 */
const RACE_AFTER = [3, 20] as const;

export class WasmBackend implements Backend {
  readonly kernels: XnorKernels;
  readonly steps: readonly Step[];
  /** The global popcount strategy (bdense; binary convs have their own, popcountPerShape). */
  popcount: PopcountStrategy;
  /** The popcount strategy of each binary-conv loop shape (written into every BinConv2D's params). */
  popcountPerShape: Readonly<Record<BconvShape, PopcountStrategy>>;
  #auto: boolean;
  #runCount = 0;
  /** Threads > 1 only: run the split steps on this thread alone (ThreadsGovernor). */
  #solo = false;
  #governor: { next(solo: boolean, ms: number): boolean } | null = null;
  #bconvs: { p: number; g: ConvGeometry; step: Step }[] = [];
  /** Bytes of the activation arena and of everything prepared at load. */
  readonly arenaBytes: number;
  get memoryBytes(): number {
    return this.#memoryBytes;
  }
  #memoryBytes = 0;
  /** Threads the convs run on (1, or the size of the kernel pool). */
  readonly threads: number;
  /** Steps whose kernel is split across the threads (0 on one thread). */
  get parallelSteps(): number {
    return this.#parallelSteps;
  }
  #parallelSteps = 0;
  /** Whether the kernels are a relaxed-SIMD build (relaxed_swizzle byte counts; FMA too if `fma`). */
  readonly relaxedSimd: boolean;
  /** Whether the float convs and dense layers fuse multiply-add (an fma build). */
  readonly fma: boolean;
  #pool: KernelPool | null;
  /** @internal Benchmarks: the kernel pool's counters (KernelPool.stats), null on one thread. */
  get poolStats(): Readonly<KernelPool['stats']> | null {
    return this.#pool?.stats ?? null;
  }
  #runs: (() => void)[];
  #ptr: Map<string, number>;
  #types: Map<string, TensorType>;
  #input!: { ptr: number; length: number };
  #output!: { ptr: number; length: number };
  #disposed = false;
  /** Where the prepare functions read tensors: complete() swaps in the validated model. */
  #model: XnnModel;
  /** Prepares step i (planAhead: once its tensors are in, in any order). */
  #prepare: (i: number) => void;
  /** Places scratch and ends the plan. */
  #finishPlan: () => void;

  /**
   * Plans `model` (all of it; `deferred`: nothing past the arena until advance() and complete(),
   * so that loadModel prepares layers while later ones still download: planAhead in backend.ts).
   */
  constructor(model: XnnModel, k: XnorKernels, opts: WasmBackendOptions, pool: KernelPool | null = null, deferred = false) {
    this.kernels = k;
    this.#pool = pool;
    this.threads = pool?.threads ?? 1;
    this.relaxedSimd = k.relaxedSimd;
    this.fma = k.fma;
    const popcount = opts.popcount ?? 'auto';
    this.#auto = popcount === 'auto';
    if (popcount === 'auto') {
      const choice = chosenPopcount ?? PROVISIONAL;
      k.setPopcount(choice.strategy);
      this.popcountPerShape = choice.perShape;
    } else {
      k.setPopcount(popcount);
      this.popcountPerShape = { k3c64: popcount, k1: popcount, general: popcount };
    }
    this.popcount = k.getPopcount();
    const perShape = this.popcountPerShape;
    this.#types = model.types;
    this.#model = model;
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
        const t = this.#model.tensors.get(name);
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
          // solo: the same range kernel over everything on this thread (thread 0's scratch),
          // which computes the same bits (any split does); extra arguments are ignored
          const fn = k.exports[entry] as (...a: number[]) => void;
          const a = new Array<number>(11).fill(0);
          binds.push(() => {
            const bound = args();
            job.bind(bound);
            a.fill(0);
            bound.forEach((v, i) => (a[i] = v));
          });
          return () => {
            if (!this.#solo) return job.run();
            before?.();
            fn(0, total, 0, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
          };
        }
      : undefined;
    this.#runs = new Array<() => void>(steps.length);
    this.#prepare = (i) => {
      const step = steps[i];
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
        f32: (n) => this.#model.f32(n),
        b1: (n) => this.#model.b1(n),
        needScratch: (b) => void (scratchBytes = Math.max(scratchBytes, b)),
        scratch: () => scratchPtr,
        threads: this.threads,
        parallel,
        popcountFor: (g) => perShape[bconvShape(g)],
        bwnKernel: opts.bwnKernel,
        binaryConv: (p, g) => void this.#bconvs.push({ p, g, step }),
      };
      try {
        this.#runs[i] = RUNTIME_OPS[node.op](ctx);
      } catch (e) {
        throw new ModelFormatError(`node "${node.name}" (${node.op}): ${(e as Error).message}`);
      }
    };
    this.#finishPlan = () => this.#finish(opts, binds, k.alloc(scratchBytes, 64), (p) => (scratchPtr = p));
    if (!deferred) this.complete(model);
  }

  /** The constant tensors each step's prepare reads: its nodes' inputs that no node produces. */
  #tensorsOf(): string[][] {
    const m = this.#model;
    const values = new Set([...m.inputs.map((i) => i.name), ...m.nodes.flatMap((n) => n.outputs)]);
    const byName = new Map(m.nodes.map((n) => [n.name, n]));
    return this.steps.map((s) => s.covers.flatMap((c) => byName.get(c)!.inputs.filter((v) => v && !values.has(v))));
  }
  #stepTensors: string[][] | undefined;
  #planned = false;
  /** @internal Tests: steps prepared so far. */
  get preparedSteps(): number {
    return this.#runs.filter(Boolean).length;
  }

  /**
   * @internal loadModel (deferred plans): prepares the steps whose tensors `model.tensors` now
   * holds, in any order (a file may store a step's tensors after later steps' ones). Only
   * addresses depend on the order, never a result.
   */
  advance(): void {
    const tensors = (this.#stepTensors ??= this.#tensorsOf());
    for (let i = 0; i < this.steps.length; i++)
      if (!this.#runs[i] && tensors[i].every((t) => this.#model.tensors.has(t))) this.#prepare(i);
  }

  /** Prepares the steps left, reading tensors from `model` (the validated model), and ends the plan. */
  complete(model: XnnModel): void {
    if (this.#planned) throw new Error('WasmBackend: the plan is complete already');
    this.#planned = true;
    this.#model = model;
    for (let i = 0; i < this.steps.length; i++) if (!this.#runs[i]) this.#prepare(i);
    this.#finishPlan();
  }

  #finish(opts: WasmBackendOptions, binds: (() => void)[], scratch: number, placeScratch: (p: number) => void): void {
    const k = this.kernels;
    placeScratch(scratch);
    for (const bind of binds) bind();
    this.#parallelSteps = binds.length;
    if (binds.length && (opts.adaptThreads || opts.threadsGovernor)) this.#governor = opts.threadsGovernor ?? new ThreadsGovernor();
    const inputName = this.#model.inputs[0].name;
    this.#input = { ptr: this.#ptr.get(inputName)!, length: byteSize(this.type(inputName)) / 4 };
    const out = this.#model.outputs[0];
    const outType = this.type(out);
    if (outType.dtype !== 'f32') throw new ModelFormatError(`output "${out}" must be f32, is ${outType.dtype}`);
    this.#output = { ptr: this.#ptr.get(out)!, length: byteSize(outType) / 4 };
    // the race after warm-up (run()) allocates above the plan: room for it now, so runs never grow memory
    if (this.#auto && racesRun < RACE_AFTER.length && this.#bconvs.length) reservePopcountRace(k);
    this.#memoryBytes = k.memory.buffer.byteLength;
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
    const g = this.#governor;
    const t0 = g ? performance.now() : 0;
    this.#inference(this.#runAll);
    if (g) this.#solo = g.next(this.#solo, performance.now() - t0);
    if (this.#auto && this.#runCount < RACE_AFTER[RACE_AFTER.length - 1] && this.#bconvs.length) {
      const round = RACE_AFTER.indexOf(++this.#runCount as (typeof RACE_AFTER)[number]);
      if (round >= 0) this.#race(round);
    }
    return this.#outView!;
  }

  /** Races the popcount strategies on warmed-up kernels (race `round`, once per process) and rewrites every binary conv's strategy. */
  #race(round: number): void {
    const k = this.kernels;
    if (racesRun === round) {
      chosenPopcount = choosePopcount(k, { warmMs: 0 });
      racesRun++;
    }
    if (!chosenPopcount) return;
    k.setPopcount(chosenPopcount.strategy);
    this.popcountPerShape = chosenPopcount.perShape;
    this.popcount = k.getPopcount();
    notePopcount(this.popcount, true);
    for (const { p, g, step } of this.#bconvs) {
      g.popcount = this.popcountPerShape[bconvShape(g)];
      step.kernel = g.popcount;
      k.setConvPopcount(p, g.popcount);
    }
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
    // solo (ThreadsGovernor): no job is published, so the workers are left asleep
    const pool = this.parallelSteps && !this.#solo ? this.#pool : null;
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
    if (!this.#planned) throw new Error('WasmBackend used before its plan was completed');
  }
}

/** What a WasmBackend runs on: the kernels, and their workers when threads > 1. */
export interface WasmKernels {
  k: XnorKernels;
  pool: KernelPool | null;
}

/**
 * Everything a WasmBackend needs that does not depend on the model: compiles and instantiates
 * the kernels and starts the workers (threads > 1; one thread if they cannot start). loadModel
 * runs it while the model downloads.
 */
export async function startWasmKernels(opts: WasmBackendOptions = {}): Promise<WasmKernels> {
  const threads = opts.threads ?? 1;
  const pooled = threads > 1 ? await startPool(threads, opts) : null;
  // no popcount warm-up here any more: the race runs after the first inferences (RACE_AFTER)
  return pooled ?? { k: await XnorKernels.load({ source: opts.source, debug: opts.debug, relaxedSimd: opts.relaxedSimd, fma: opts.fma }), pool: null };
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
async function startPool(threads: number, opts: WasmBackendOptions): Promise<{ k: XnorKernels; pool: KernelPool } | null> {
  try {
    const mt = await loadThreadedWasm(opts.threadedSource, opts);
    const k = new XnorKernels(mt.instance);
    return { k, pool: await KernelPool.create(k, mt.module, threads, opts.poolTuning) };
  } catch (e) {
    console.warn(`xnor-web: ${threads} threads could not start (${(e as Error).message}); running single-threaded.`);
    return null;
  }
}
