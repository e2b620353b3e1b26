// createClassifier: runs a model in a pool of Web Workers (comlink). Frames are captured and
// transferred here, preprocessed and classified in the workers. A worker that dies is
// replaced, and the calls it held reject with WorkerCrashedError.
//
// Two ways to call:
//  - classify(image): every call is answered (queued behind the worker's current work).
//  - classifyFrame(frame): for live video, latest frame wins. Each worker has at most one frame
//    in flight and one pending; a newer frame replaces the pending one, which resolves to null
//    and counts in stats().dropped.

import { type Remote, transfer, wrap } from 'comlink';
import { DisposedError, InputError, WorkerCrashedError } from '../errors.js';
import type { ModelInfo } from '../types.js';
import { type FetchProgress, type ModelSource, fetchModelBytes } from './fetch.js';
import { type ImageInput, toFrame } from './frames.js';
import type { ClassifyRequest, ClassifyResult, LoadResult, WorkerApi, WorkerStats } from './protocol.js';
import { installErrorTransfer } from './transfer.js';

export interface ClassifierOptions {
  /** The .xnn model: a URL (fetched once, here), its bytes, or a Blob/File. */
  model: ModelSource;
  /** How many workers (default 1). Each holds its own copy of the model. */
  workers?: number;
  /** Default number of classes returned (default 5). */
  top?: number;
  /** Download progress of the model. */
  onProgress?: (p: FetchProgress) => void;
  signal?: AbortSignal;
  /** URL of xnor.wasm for the workers instead of the asset next to the library. */
  wasm?: string;
  /** Makes a worker running src/worker/worker.ts (for bundlers that need their own syntax). */
  createWorker?: (index: number) => Worker;
  /** Restarts allowed in a row for one worker without a successful call between (default 3). */
  maxRestarts?: number;
  /**
   * Expected digest of the .xnn file, `'sha256-<base64>'` or 64 hex digits (as loadModel's
   * `integrity`): checked on the main thread for every source, before a worker gets the
   * bytes. A mismatch rejects with IntegrityError.
   */
  integrity?: string;
  /** Keep a downloaded model in the Cache API (as loadModel's `cache`; URL sources only). */
  cache?: boolean | string;
  /** Threads per worker, passed to loadModel in each worker (see LoadOptions.threads). */
  threads?: number | boolean;
  /**
   * true: the FMA (relaxed-SIMD) wasm build where the engine has it: a little faster, float
   * layers rounded differently from Node 20 and engines without it. Default false: the plain
   * build, the same bits everywhere.
   */
  relaxedSimd?: boolean;
}

export interface CallOptions {
  /** Classes to return (default: the classifier's `top`). */
  top?: number;
  /** Move ImageData / RawImage pixels to the worker instead of copying them (default true). */
  transfer?: boolean;
  /** See ClassifyRequest.fit (default 'auto'). */
  fit?: 'auto' | 'strict';
}

export interface ClassifierStats {
  /** Results delivered (classify and classifyFrame). */
  classified: number;
  /** Frames replaced by a newer one before a worker took them (latest-frame-wins). */
  dropped: number;
  /** Workers restarted after dying. */
  restarts: number;
}

export interface Classifier {
  readonly info: ModelInfo;
  /** What the first worker reported when it loaded the model. */
  readonly loaded: LoadResult;
  readonly workers: number;
  /** Size of the .xnn file in bytes. */
  readonly modelBytes: number;
  /**
   * Classifies one image. An ImageBitmap is transferred (closed here); ImageData / RawImage
   * pixels are transferred too (the caller's buffer is emptied) unless `transfer: false`.
   */
  classify(input: ImageInput, opts?: CallOptions): Promise<ClassifyResult>;
  /** Latest-frame-wins: resolves to null when this frame was dropped for a newer one. */
  classifyFrame(input: ImageInput, opts?: CallOptions): Promise<ClassifyResult | null>;
  stats(): ClassifierStats;
  /** One entry per live worker: its model's WASM memory and the calls it answered. */
  workerStats(): Promise<WorkerStats[]>;
  /** Terminates worker `index` as a crash would (its calls reject; it is restarted). */
  terminateWorker(index?: number): void;
  /** Terminates all workers; pending calls reject with DisposedError. Idempotent. */
  dispose(): void;
}

interface Call {
  reject(e: Error): void;
}

interface PendingFrame {
  req: ClassifyRequest;
  transfer: Transferable[];
  resolve(r: ClassifyResult | null): void;
  reject(e: Error): void;
  seq: number;
}

/** One live worker. Replaced (not reused) when it dies. */
interface Handle {
  index: number;
  worker: Worker;
  remote: Remote<WorkerApi>;
  ready: Promise<LoadResult>;
  held: Set<Call>;
  frameBusy: boolean;
  pending: PendingFrame | null;
  dead: boolean;
}

// How a worker is made when ClassifierOptions.createWorker is not given. Set by
// ./default-worker.ts (which src/index.ts imports), kept apart so that a bundle that always
// passes createWorker (the widget, with an inlined worker) carries no second worker file.
let defaultWorker: ((index: number) => Worker) | null = null;

export function setDefaultWorker(make: (index: number) => Worker): void {
  defaultWorker = make;
}

function closeFrame(p: PendingFrame) {
  if (p.req.frame.kind === 'bitmap') p.req.frame.bitmap.close();
}

export async function createClassifier(opts: ClassifierOptions): Promise<Classifier> {
  installErrorTransfer();
  const n = opts.workers ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InputError(`workers must be an integer in 1..64, got ${n}`);
  const defaultTop = opts.top ?? 5;
  const maxRestarts = opts.maxRestarts ?? 3;
  const { bytes, name } = await fetchModelBytes(opts.model, {
    onProgress: opts.onProgress,
    signal: opts.signal,
    integrity: opts.integrity,
    cache: opts.cache,
  });
  const stats: ClassifierStats = { classified: 0, dropped: 0, restarts: 0 };
  const crashesInARow = new Array<number>(n).fill(0);
  let disposed = false;
  let frameSeq = 0;

  const spawn = (index: number): Handle => {
    const make = opts.createWorker ?? defaultWorker;
    if (!make) throw new InputError('no worker script: pass createWorker, or import createClassifier from xnor-web');
    const worker = make(index);
    const remote = wrap<WorkerApi>(worker);
    const h: Handle = { index, worker, remote, ready: null!, held: new Set(), frameBusy: false, pending: null, dead: false };
    // Each worker gets its own copy of the bytes, moved to it (the original stays here for restarts).
    h.ready = track(h, () => {
      const copy = bytes.slice(0);
      return remote.load(transfer({ model: copy, name, wasm: opts.wasm, threads: opts.threads, relaxedSimd: opts.relaxedSimd }, [copy]));
    });
    h.ready.catch(() => undefined);
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      crash(h, `worker ${index} crashed: ${ev.message || 'uncaught error or failed to start'}`);
    });
    return h;
  };

  /** Runs `fn` as a call held by `h`: it rejects if `h` dies first. */
  function track<T>(h: Handle, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (h.dead) return reject(new WorkerCrashedError(`worker ${h.index} is gone`));
      const call: Call = { reject };
      h.held.add(call);
      fn().then(
        (r) => h.held.delete(call) && resolve(r),
        (e) => h.held.delete(call) && reject(e),
      );
    });
  }

  const handles: Handle[] = [];
  for (let i = 0; i < n; i++) handles.push(spawn(i));

  function crash(h: Handle, why: string) {
    if (h.dead) return;
    h.dead = true;
    h.worker.terminate();
    const err = () => new WorkerCrashedError(why);
    for (const c of h.held) c.reject(err());
    h.held.clear();
    if (h.pending) {
      closeFrame(h.pending);
      h.pending.reject(err());
      h.pending = null;
    }
    if (disposed || handles[h.index] !== h) return;
    if (++crashesInARow[h.index] > maxRestarts) return; // left dead: calls to it reject
    stats.restarts++;
    handles[h.index] = spawn(h.index);
  }

  const live = (): Handle[] => {
    if (disposed) throw new DisposedError('this classifier was disposed');
    const hs = handles.filter((h) => !h.dead);
    if (hs.length === 0) throw new WorkerCrashedError(`all workers crashed more than ${maxRestarts} times in a row`);
    return hs;
  };

  const send = (h: Handle, req: ClassifyRequest, xfer: Transferable[]) =>
    track(h, async () => {
      await h.ready;
      return h.remote.classify(transfer(req, xfer));
    }).then((r) => {
      crashesInARow[h.index] = 0;
      stats.classified++;
      return r;
    });

  function runFrame(h: Handle, p: PendingFrame) {
    h.frameBusy = true;
    send(h, p.req, p.transfer)
      .then(p.resolve, p.reject)
      .finally(() => {
        h.frameBusy = false;
        const next = h.pending;
        h.pending = null;
        if (next && !h.dead) runFrame(h, next);
      });
  }

  let loaded: LoadResult;
  try {
    loaded = await handles[0].ready;
    await Promise.all(handles.map((h) => h.ready));
  } catch (e) {
    disposed = true;
    for (const h of handles) h.worker.terminate();
    throw e;
  }

  const load = (h: Handle) => h.held.size + (h.pending ? 1 : 0);

  return {
    info: loaded.info,
    loaded,
    workers: n,
    modelBytes: bytes.byteLength,

    async classify(input, o = {}) {
      live();
      const { frame, transfer: xfer } = await toFrame(input, o.transfer ?? true);
      const hs = live();
      const h = hs.reduce((a, b) => (load(b) < load(a) ? b : a));
      return send(h, { frame, top: o.top ?? defaultTop, fit: o.fit }, xfer);
    },

    async classifyFrame(input, o = {}) {
      live();
      const { frame, transfer: xfer } = await toFrame(input, o.transfer ?? true);
      return new Promise<ClassifyResult | null>((resolve, reject) => {
        const p: PendingFrame = { req: { frame, top: o.top ?? defaultTop, fit: o.fit }, transfer: xfer, resolve, reject, seq: ++frameSeq };
        let hs: Handle[];
        try {
          hs = live();
        } catch (e) {
          closeFrame(p);
          return reject(e);
        }
        const idle = hs.find((h) => !h.frameBusy && h.held.size === 0) ?? hs.find((h) => !h.frameBusy);
        if (idle) return runFrame(idle, p);
        const free = hs.find((h) => !h.pending);
        if (free) {
          free.pending = p;
          return;
        }
        // Every worker has a frame waiting: the oldest waiting frame is stale; replace it.
        const h = hs.reduce((a, b) => (b.pending!.seq < a.pending!.seq ? b : a));
        const stale = h.pending!;
        stats.dropped++;
        closeFrame(stale);
        stale.resolve(null);
        h.pending = p;
      });
    },

    stats: () => ({ ...stats }),

    workerStats() {
      return Promise.all(
        live().map((h) =>
          track(h, async () => {
            await h.ready;
            return h.remote.stats();
          }),
        ),
      );
    },

    terminateWorker(index = 0) {
      const h = handles[index];
      if (!h) throw new InputError(`no worker ${index} (there are ${n})`);
      crash(h, `worker ${index} was terminated`);
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      for (const h of handles) {
        h.dead = true;
        h.worker.terminate();
        for (const c of h.held) c.reject(new DisposedError('the classifier was disposed'));
        h.held.clear();
        if (h.pending) {
          closeFrame(h.pending);
          h.pending.reject(new DisposedError('the classifier was disposed'));
          h.pending = null;
        }
      }
    },
  };
}
