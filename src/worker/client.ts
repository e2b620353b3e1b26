// loadModel's sessions in Web Workers (comlink): bytes fetched once here, one copy per worker;
// a worker that dies is replaced, and the calls it held reject with WorkerCrashedError.

import { type Remote, transfer, wrap } from 'comlink';
import { DisposedError, InputError, WorkerCrashedError } from '../errors.js';
import type { Session, SessionStats } from '../session.js';
import { toFrame } from './frames.js';
import type { ClassifyRequest, ClassifyResult, LoadRequest, LoadResult, WorkerApi } from './protocol.js';
import { rebuildError } from './transfer.js';

/** What startWorkers needs besides the bytes (from LoadOptions). */
export interface WorkerSessionOptions {
  workers: number;
  top: number;
  fit: ClassifyRequest['fit'];
  load: Omit<LoadRequest, 'model' | 'name'>;
  createWorker?: (index: number) => Worker;
  maxRestarts?: number;
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

// How a worker is made when LoadOptions.createWorker is not given. Set by
// ./default-worker.ts (which src/index.ts imports), kept apart so that a bundle that always
// passes createWorker (the widget, with an inlined worker) carries no second worker file.
let defaultWorker: ((index: number) => Worker) | null = null;

export function setDefaultWorker(make: (index: number) => Worker): void {
  defaultWorker = make;
}

/**
 * How long a model worker may take to answer load() before it is replaced as a crashed one
 * (counted in stats().restarts). Firefox 153 ESR can block a worker for good inside the
 * `new Worker()` that starts its kernel threads (about 1 load in 10 with 2 workers × 2
 * threads); the replacement loads.
 */
const LOAD_MS = 30_000;

function closeFrame(p: PendingFrame) {
  if (p.req.frame.kind === 'bitmap') p.req.frame.bitmap.close();
}

/** Starts `opts.workers` model workers on `bytes` (a whole buffer each gets a copy of). */
export async function startWorkers(bytes: ArrayBuffer, name: string, opts: WorkerSessionOptions): Promise<Session> {
  const n = opts.workers;
  const defaultTop = opts.top;
  const maxRestarts = opts.maxRestarts ?? 3;
  const stats: SessionStats = { classified: 0, dropped: 0, restarts: 0 };
  const crashesInARow = new Array<number>(n).fill(0);
  let disposed = false;
  let frameSeq = 0;

  const make = opts.createWorker ?? defaultWorker;
  if (!make) throw new InputError('no worker script: pass createWorker, or import loadModel from xnor-web');
  if (!opts.createWorker && typeof Worker !== 'function')
    throw new InputError(`workers: ${n} needs Web Workers, which this engine lacks (in Node, use workers: 0)`);

  const spawn = (index: number): Handle => {
    const worker = make(index);
    const remote = wrap<WorkerApi>(worker);
    const h: Handle = { index, worker, remote, ready: null!, held: new Set(), frameBusy: false, pending: null, dead: false };
    // Each worker gets its own copy of the bytes, moved to it (the original stays here for restarts).
    h.ready = track(h, () => {
      const copy = bytes.slice(0);
      return remote.load(transfer({ ...opts.load, model: copy, name }, [copy]));
    });
    h.ready.catch(() => undefined);
    const late = setTimeout(() => crash(h, `worker ${index} did not load within ${LOAD_MS / 1000} s`), LOAD_MS);
    h.ready.then(() => clearTimeout(late), () => clearTimeout(late));
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
        (e) => h.held.delete(call) && reject(rebuildError(e)),
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
    if (disposed) throw new DisposedError('this session was disposed');
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
    // A worker replaced while loading (it crashed, or missed LOAD_MS) is waited for in its place.
    const ready = async (i: number): Promise<LoadResult> => {
      for (;;) {
        const h = handles[i];
        try {
          return await h.ready;
        } catch (e) {
          if (disposed || handles[i] === h) throw e;
        }
      }
    };
    loaded = await ready(0);
    await Promise.all(handles.map((_, i) => ready(i)));
  } catch (e) {
    disposed = true;
    for (const h of handles) h.worker.terminate();
    throw e;
  }

  const load = (h: Handle) => h.held.size + (h.pending ? 1 : 0);

  const leastBusy = () => live().reduce((a, b) => (load(b) < load(a) ? b : a));

  return {
    info: loaded.info,
    inputShape: loaded.inputShape,
    outputShape: loaded.outputShape,
    backend: loaded.backend,
    threads: loaded.threads,
    loaded,
    workers: n,
    modelBytes: bytes.byteLength,

    async run(input) {
      live();
      // Checked where it runs (Model.run); only the pixels' copy is made here, and moved.
      const data = input instanceof Float32Array ? input : input?.data;
      if (!(data instanceof Float32Array)) throw new InputError('input must be a Float32Array or a Tensor { shape, data: Float32Array }');
      const copy = data.slice();
      const req = input instanceof Float32Array ? copy : { shape: [...input.shape], data: copy };
      const h = leastBusy();
      return track(h, async () => {
        await h.ready;
        return h.remote.run(transfer(req, [copy.buffer]));
      });
    },

    // Every classify call is answered (queued behind the worker's current work).
    async classify(input, o = {}) {
      live();
      const { frame, transfer: xfer } = await toFrame(input, o.transfer ?? true);
      return send(leastBusy(), { frame, top: o.top ?? defaultTop, fit: o.fit ?? opts.fit }, xfer);
    },

    // Latest frame wins: each worker has at most one frame in flight and one pending; a newer
    // frame replaces the pending one, which resolves to null and counts in stats().dropped.
    async classifyFrame(input, o = {}) {
      live();
      const { frame, transfer: xfer } = await toFrame(input, o.transfer ?? true);
      return new Promise<ClassifyResult | null>((resolve, reject) => {
        const p: PendingFrame = { req: { frame, top: o.top ?? defaultTop, fit: o.fit ?? opts.fit }, transfer: xfer, resolve, reject, seq: ++frameSeq };
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
        for (const c of h.held) c.reject(new DisposedError('the session was disposed'));
        h.held.clear();
        if (h.pending) {
          closeFrame(h.pending);
          h.pending.reject(new DisposedError('the session was disposed'));
          h.pending = null;
        }
      }
    },
  };
}
