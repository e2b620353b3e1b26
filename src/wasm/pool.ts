// Kernel threads: the caller and threads − 1 workers over one WebAssembly.Memory claim chunks
// of a kernel's output through a control block in that memory (docs/THREADS.md, "Synchronisation").

import { XnorError } from '../errors.js';
import type { XnorKernels } from './kernels.js';
import { type KernelWorker, spawnKernelWorker } from './spawn.js';

/** How long a kernel worker may take to start before loading falls back to one thread. */
const START_MS = 15_000;

/**
 * Entry points a job may name; each takes (from, to, thread, …up to 11 pointers/ints), the
 * range being output pixels (bconv2dRange), output rows (fconv2dRange, bwnconv2dRange, fmaxpoolRange), rows
 * (packRange, packAffineRange, scaleShiftRange), elements (faddRange) or outputs (fdenseRange, fdenseBlockedRange).
 */
export const RANGE_KERNELS = [
  'bconv2dRange', 'fconv2dRange', 'fmaxpoolRange', 'packRange', 'packAffineRange', 'scaleShiftRange', 'faddRange',
  'fdenseRange', 'istemRange', 'bwnconv2dRange', 'fdenseBlockedRange',
] as const;
export type RangeKernel = (typeof RANGE_KERNELS)[number];

// Control block, in i32 slots. `claim` = tag << 11 | next chunk, tag = the job's gen (low 21
// bits): a claim is a compareExchange that also proves the job is still the one whose fields
// were read (kernel-worker.js has the argument). `done`, written by every thread after each
// chunk, sits on its own cache line, away from the job fields.
// `bounds` points to the job's chunk boundaries (i32, chunks + 1 of them, made at load).
const LAYOUT = {
  gen: 0, claim: 1, entry: 2, total: 3, chunks: 4, mode: 5, failed: 6, exit: 7, args: 8, bounds: 19, active: 24, done: 32,
  ints: 48,
} as const;
const MAX_ARGS = 11;
const INDEX_BITS = 11;
const TAG_MASK = (1 << (32 - INDEX_BITS)) - 1;
/** Index value of a closed job: no chunk index reaches it (chunks ≤ MAX_CHUNKS). */
const CLOSED = (1 << INDEX_BITS) - 1;
const MAX_CHUNKS = 256;
/**
 * Atomics.load polls before sleeping in Atomics.wait. Short: on a machine whose other core is
 * busy, spinning threads take the time the working ones need (measurements: docs/THREADS.md).
 */
const SPIN = 1 << 10;
/**
 * Polls while an inference runs (begin() … end()), by workers between jobs and by the caller
 * waiting on `done`, before sleeping anyway: longer than the gaps between the jobs of one
 * inference, so no futex wake-up on a free core, yet bounded for a busy machine, where the
 * poller takes the core the caller needs (the choice measured: docs/THREADS.md).
 */
const INFERENCE_SPIN = 1 << 12;

/**
 * How a pool cuts its jobs and how long its threads poll. The defaults are what measured best
 * (docs/THREADS.md); the others stay selectable for benchmarks and tests.
 */
export interface PoolTuning {
  /** Chunks per thread (even) or the divisor of the remaining work (guided). */
  chunksPerThread: number;
  /**
   * 'even': equal chunks. 'guided': each chunk ⌈remaining / (chunksPerThread·threads)⌉ (at
   * least 1/64 of the job), so the last chunks, the ones a slow thread can hold up the job
   * with, are small.
   */
  schedule: 'even' | 'guided';
  /** Polls before sleeping, outside an inference (SPIN) and inside one (INFERENCE_SPIN). */
  spin: number;
  inferenceSpin: number;
  /** The calling thread's polls for the other threads' chunks inside an inference (default inferenceSpin). */
  waitSpin?: number;
  /**
   * Inside an inference, each thread adapts its poll limit (between ADAPT.min and the limit
   * above): a wait that had to sleep and then lasted ADAPT.longMs or more halves it (polling
   * longer would not have caught it either); any shorter wait doubles it; every
   * ADAPT.probe-th wait polls the full limit, and restores it if that saw the wait end. Where
   * two threads share one core (the other cores busy), a poller holds the core the thread it
   * waits for needs, so it waits until it sleeps and the other runs a whole chunk: long waits,
   * and the limit falls to ADAPT.min; on free cores most waits are short and it stays up.
   */
  adaptiveSpin?: boolean;
}

/** Adaptive polling (PoolTuning.adaptiveSpin); kernel-worker.js gets the same numbers. */
const ADAPT = { min: 1 << 6, longMs: 0.03, probe: 16 } as const;

/**
 * The next poll limit after a wait that polled up to `polled` (the limit, or `max` on a probe):
 * `sleptMs` < 0 when the polls saw it end (adaptiveSpin).
 */
export function adaptSpin(limit: number, polled: number, max: number, sleptMs: number): number {
  if (sleptMs < 0 && polled >= max) return max;
  return sleptMs >= ADAPT.longMs ? Math.max(ADAPT.min, limit >> 1) : Math.min(max, limit * 2);
}

export const DEFAULT_TUNING: Readonly<PoolTuning> = {
  chunksPerThread: 4, schedule: 'even', spin: SPIN, inferenceSpin: INFERENCE_SPIN, adaptiveSpin: true,
};

/** The chunk boundaries of a job over [0, total): chunk i is [b[i], b[i + 1]). */
export function chunkBounds(total: number, threads: number, t: Pick<PoolTuning, 'chunksPerThread' | 'schedule'>): number[] {
  if (total <= 0) return [0];
  if (t.schedule === 'even') {
    const n = Math.min(total, threads * t.chunksPerThread, MAX_CHUNKS);
    return Array.from({ length: n + 1 }, (_, i) => Math.floor((total * i) / n));
  }
  const b = [0];
  const least = Math.max(1, Math.ceil(total / 64));
  for (let at = 0; at < total; ) {
    const left = total - at;
    at += Math.min(left, Math.max(least, Math.ceil(left / (threads * t.chunksPerThread))));
    b.push(at);
  }
  return b;
}

const claimWord = (gen: number, index: number) => ((gen & TAG_MASK) << INDEX_BITS) | index;

export interface ParallelJob {
  /** Sets the kernel's pointer/int arguments (after the memory plan is final). */
  bind(args: readonly number[]): void;
  /** Runs `before` on this thread, then the kernel over its whole output, split. */
  run(): void;
}

/** Whether this thread may block in Atomics.wait (not on a browser's main thread). */
function canBlock(c: Int32Array): boolean {
  try {
    Atomics.wait(c, LAYOUT.failed, 1, 0); // the slot holds 0: returns "not-equal" at once where allowed
    return true;
  } catch {
    return false;
  }
}

export class KernelPool {
  readonly threads: number;
  readonly #k: XnorKernels;
  readonly #c: Int32Array;
  readonly #workers: KernelWorker[];
  readonly #canWait: boolean;
  readonly tuning: Readonly<PoolTuning>;
  #disposed = false;

  private constructor(k: XnorKernels, c: Int32Array, workers: KernelWorker[], tuning: Readonly<PoolTuning>) {
    this.#k = k;
    this.#c = c;
    this.#workers = workers;
    this.threads = workers.length + 1;
    this.#canWait = canBlock(c);
    this.tuning = tuning;
    this.#spinDone = tuning.spin;
  }

  /**
   * Starts threads − 1 workers on `module` (xnor.mt.wasm) over `k`'s shared memory; resolves
   * when all are parked waiting for jobs, rejects (terminating any started) if one fails.
   */
  static async create(k: XnorKernels, module: WebAssembly.Module, threads: number, tuning: Readonly<PoolTuning> = DEFAULT_TUNING): Promise<KernelPool> {
    const ctrl = k.alloc(LAYOUT.ints * 4, 64);
    // A SharedArrayBuffer is never detached by memory.grow, so this view stays valid.
    const c = new Int32Array(k.memory.buffer, ctrl, LAYOUT.ints);
    const workers: KernelWorker[] = [];
    try {
      for (let i = 1; i < threads; i++) workers.push(await spawnKernelWorker(i));
      await Promise.all(
        workers.map(
          (w, j) =>
            new Promise<void>((ready, fail) => {
              // A worker that never reports (an engine that starts nested workers late, or not
              // at all, under load) must not hang loading: the caller falls back to one thread.
              const late = setTimeout(() => fail(new Error(`kernel worker ${j + 1} did not start within ${START_MS / 1000} s`)), START_MS);
              w.onError((e) => {
                clearTimeout(late);
                fail(e);
              });
              w.onMessage((m) => {
                if (m.ready) {
                  clearTimeout(late);
                  ready();
                }
                // Reported after the failed flag made run() throw.
                else if (m.error) console.error(`xnor-web: kernel worker ${j + 1}: ${m.error}`);
              });
              const init = {
                module, memory: k.memory, ctrl, index: j + 1, entries: RANGE_KERNELS, layout: LAYOUT, indexBits: INDEX_BITS,
                spin: tuning.spin, activeSpin: tuning.inferenceSpin, adapt: tuning.adaptiveSpin ? ADAPT : null,
              };
              w.post(init);
            }),
        ),
      );
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new KernelPool(k, c, workers, tuning);
  }

  /** A job running `entry` over [0, total) in the chunks of chunkBounds (placed in memory now, at load). */
  job(entry: RangeKernel, total: number, before?: () => void): ParallelJob {
    const index = RANGE_KERNELS.indexOf(entry);
    const fn = this.#k.exports[entry] as (...a: number[]) => void;
    const a = new Int32Array(MAX_ARGS);
    const cut = chunkBounds(total, this.threads, this.tuning);
    const chunks = cut.length - 1;
    const boundsPtr = this.#k.putI32(cut);
    const b = Int32Array.from(cut);
    const c = this.#c;
    return {
      bind(args) {
        if (args.length > MAX_ARGS) throw new XnorError(`${entry}: ${args.length} arguments, at most ${MAX_ARGS}`);
        a.fill(0).set(args);
      },
      run: () => {
        before?.();
        if (chunks === 0) return;
        const gen = this.#publish(index, total, chunks, boundsPtr, a);
        const st = this.stats;
        st.jobs++;
        st.units += total;
        let error: unknown = null;
        // Claim chunks like a worker (no other job can start meanwhile: no tag check needed).
        for (let v = Atomics.load(c, LAYOUT.claim); (v & CLOSED) < chunks; v = Atomics.load(c, LAYOUT.claim)) {
          if (Atomics.compareExchange(c, LAYOUT.claim, v, v + 1) !== v) continue;
          const i = v & CLOSED;
          st.callerUnits += b[i + 1] - b[i];
          try {
            fn(b[i], b[i + 1], 0, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
          } catch (e) {
            error ??= e; // the job still completes and closes, so the next one starts clean
          }
          Atomics.add(c, LAYOUT.done, 1);
        }
        const t0 = performance.now();
        this.#finish(gen, chunks);
        st.waitMs += performance.now() - t0;
        if (error) throw error;
      },
    };
  }

  /**
   * Brackets one inference: between begin() and end() the workers (and this thread, waiting on
   * `done`) poll INFERENCE_SPIN times before sleeping, not SPIN: a futex wake-up costs tens of
   * µs, and an inference publishes its jobs tens of µs apart. Only while an inference runs:
   * polling outside it takes a core other work needs. begin() also wakes sleeping workers, so
   * they are polling by the time the first job is published.
   */
  begin(): void {
    const c = this.#c;
    this.#spinDone = this.tuning.waitSpin ?? this.tuning.inferenceSpin;
    this.#adapting = !!this.tuning.adaptiveSpin && this.#canWait;
    Atomics.store(c, LAYOUT.active, 1);
    Atomics.notify(c, LAYOUT.gen);
  }

  end(): void {
    this.#spinDone = this.tuning.spin;
    this.#adapting = false;
    Atomics.store(this.#c, LAYOUT.active, 0);
  }

  #spinDone: number;
  #adapting = false;
  /** adaptiveSpin: this thread's current poll limit inside an inference, and its waits so far. */
  #limit = 0;
  #waits = 0;

  /**
   * Counters since load (benchmarks, and what a governor could read): split jobs run, their
   * range units (pixels, rows …) and how many of those this thread ran itself, and the ms it
   * spent waiting for the other threads' chunks after its last claim (the straggler cost).
   */
  readonly stats = { jobs: 0, units: 0, callerUnits: 0, waitMs: 0 };

  #gen = 0;

  /** Writes the job and wakes the workers; returns its gen. */
  #publish(entry: number, total: number, chunks: number, bounds: number, args: Int32Array): number {
    if (this.#disposed) throw new XnorError('the kernel threads were disposed');
    const c = this.#c;
    const gen = (this.#gen = (this.#gen + 1) | 0);
    c.set(args, LAYOUT.args);
    c[LAYOUT.entry] = entry;
    c[LAYOUT.total] = total;
    c[LAYOUT.chunks] = chunks;
    c[LAYOUT.bounds] = bounds;
    c[LAYOUT.mode] = this.#k.exports.getPopcountMode();
    Atomics.store(c, LAYOUT.done, 0);
    // Opens the claims; the SC store orders the plain field writes above before any claim.
    Atomics.store(c, LAYOUT.claim, claimWord(gen, 0));
    Atomics.store(c, LAYOUT.gen, gen);
    Atomics.notify(c, LAYOUT.gen);
    return gen;
  }

  /** Waits for the chunks other threads still hold, then closes the job. */
  #finish(gen: number, chunks: number): void {
    const c = this.#c;
    let spins = 0;
    const max = this.#spinDone;
    const adapt = this.#adapting;
    if (adapt && this.#limit === 0) this.#limit = max;
    const limit = !adapt || ++this.#waits % ADAPT.probe === 0 ? max : this.#limit;
    let slept = -1;
    for (let v = Atomics.load(c, LAYOUT.done); v !== chunks; v = Atomics.load(c, LAYOUT.done))
      if (this.#canWait && ++spins > limit) {
        if (adapt && slept < 0) slept = performance.now();
        Atomics.wait(c, LAYOUT.done, v);
      }
    if (adapt) this.#limit = adaptSpin(this.#limit, limit, max, slept < 0 ? -1 : performance.now() - slept);
    // A late worker still holding this tag now reads index CLOSED and claims nothing; the next
    // job's fields may be written only after this.
    Atomics.store(c, LAYOUT.claim, claimWord(gen, CLOSED));
    const failed = c[LAYOUT.failed];
    if (failed) {
      c[LAYOUT.failed] = 0;
      throw new XnorError(`kernel worker ${failed} failed while running a job (its error is logged to the console)`);
    }
  }

  /** Tells the workers to leave their loop and terminates them. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const c = this.#c;
    Atomics.store(c, LAYOUT.exit, 1);
    Atomics.add(c, LAYOUT.gen, 1);
    Atomics.notify(c, LAYOUT.gen);
    for (const w of this.#workers) w.terminate();
  }
}
