// getCapabilities() in each engine, checked against independent probes, and threads: where the
// engine allows them, `threads: 2` runs on 2 threads (in a model worker and on the main thread)
// with exactly the output of 1 thread; where not, the model runs on 1 and the fallback is said
// (the main thread's console warning).
import { expect, test } from './fixtures.js';
import { requireModel } from '../models.js';

test('getCapabilities() is truthful; threads are used where allowed, the fallback is reported where not', async ({ openApi, record }, testInfo) => {
  const model = requireModel('cifar10-xnor.xnn');
  const page = await openApi();
  const r = await page.evaluate(async (url) => {
    const { xnor } = window;
    const caps = xnor.getCapabilities();
    // Independent probes (not the library's own modules):
    // (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
    const madd = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);
    // (module (func (param v128) (result v128) local.get 0 i8x16.popcnt))
    const popcnt = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 32, 0, 253, 98, 11]);
    // Shared memory really crosses to a worker (WebKit without SharedArrayBuffer throws
    // DataCloneError here; Firefox and Chromium need cross-origin isolation).
    const shareable = await new Promise<string>((ok) => {
      let mem: WebAssembly.Memory;
      try {
        mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      } catch (e) {
        ok(`no shared memory: ${(e as Error).name}`);
        return;
      }
      const src = 'onmessage = (e) => { Atomics.store(new Int32Array(e.data.buffer), 0, 42); postMessage(0); }';
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      w.onmessage = () => {
        w.terminate();
        ok(new Int32Array(mem.buffer)[0] === 42 ? 'yes' : 'posted, but the worker wrote elsewhere');
      };
      w.onerror = (e) => ok(`worker error: ${e.message}`);
      try {
        w.postMessage(mem);
      } catch (e) {
        w.terminate();
        ok(`postMessage: ${(e as Error).name}`);
      }
    });
    const probe = {
      relaxedMadd: WebAssembly.validate(madd),
      popcnt: WebAssembly.validate(popcnt),
      shareable,
      sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
    };

    // threads: 2 in a model worker and on the main thread, against threads: 1.
    const blob = await (await fetch('samples/chelsea.png')).blob();
    const inWorker = async (threads: number) => {
      const c = await xnor.createClassifier({ model: url, workers: 1, threads, top: 10 });
      try {
        return { threads: c.loaded.threads, top: (await c.classify(blob)).top };
      } finally {
        c.dispose();
      }
    };
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => warnings.push(a.join(' '));
    const x = new Float32Array(32 * 32 * 3).map((_, i) => ((i * 2654435761) % 1000) / 4 - 125);
    const onMain = async (threads: number) => {
      const m = await xnor.loadModel(url, { threads });
      try {
        return { threads: m.threads, y: Array.from((await m.run(x)).data) };
      } finally {
        m.dispose();
      }
    };
    try {
      const w1 = await inWorker(1);
      const w2 = await inWorker(2);
      const m1 = await onMain(1);
      const m2 = await onMain(2);
      return { caps, probe, w1, w2, m1, m2, warnings, cores: navigator.hardwareConcurrency };
    } finally {
      console.warn = warn;
    }
  }, model);

  const { caps, probe } = r;
  console.log(`engines: ${testInfo.project.name}: getCapabilities() ${JSON.stringify(caps)}; probes ${JSON.stringify(probe)}; threads worker ${r.w2.threads}, main ${r.m2.threads}`);
  expect(caps.simd).toBe(true);
  expect(probe.popcnt).toBe(true);
  expect(caps.relaxedSimd).toBe(probe.relaxedMadd);
  expect(caps.crossOriginIsolated).toBe(probe.crossOriginIsolated);
  // Threads are claimed exactly when shared memory really reaches a worker.
  expect({ threads: caps.threads, shareable: probe.shareable }).toEqual({ threads: probe.shareable === 'yes', shareable: probe.shareable });
  // Used where allowed, with the same output; one thread (and a warning) where not.
  const want = caps.threads ? 2 : 1;
  expect([r.w1.threads, r.w2.threads, r.m1.threads, r.m2.threads]).toEqual([1, want, 1, want]);
  expect(r.w2.top).toEqual(r.w1.top);
  expect(r.m2.y).toEqual(r.m1.y);
  const fallbackWarned = r.warnings.some((w) => /running single-threaded/.test(w));
  expect(fallbackWarned).toBe(!caps.threads);

  record({
    capabilities: { simd: caps.simd, relaxedSimd: caps.relaxedSimd, threads: caps.threads, crossOriginIsolated: caps.crossOriginIsolated, sharedArrayBuffer: probe.sharedArrayBuffer },
    threads: { worker: r.w2.threads, main: r.m2.threads, fallbackWarned },
  });
});
