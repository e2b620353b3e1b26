// Memory really returns after dispose(). A classifier (ImageNet ResNet-18, 2 model workers, 2
// kernel threads each where the engine allows) is created, used and disposed CYCLES times, and
// the browser's memory is read after each: the proportional set size of its whole process tree
// (/proc/PID/smaps_rollup — page, workers, helper processes; for WebKit also WebKitWebDriver and
// Xvfb), the one measure all three engines allow from outside; Chromium's page heap is also
// collected first (CDP), Firefox's and WebKit's cannot be forced.
//
// Engines keep some memory after a worker ends (allocator and isolate caches): measured here, a
// control of the same shape without xnor-web — 2 plain workers, each filling a 32 MiB
// WebAssembly.Memory and receiving the model's bytes, then terminated — grows Chromium's tree by
// about 5 MiB a cycle. So the check is relative: the classifier's growth per cycle (after the
// second) may exceed the control's by at most a quarter of what one live classifier takes. A
// classifier whose workers or WASM memories outlived dispose() exceeds it by about its whole size.
import { requireModel } from '../models.js';
import { expect, test } from './fixtures.js';
import { treePss } from './launch.js';

const CYCLES = Number(process.env.ENGINES_MEM_CYCLES ?? 6);
const MiB = 2 ** 20;

test(`after dispose(), ${CYCLES} create/classify/dispose cycles grow the browser's memory no more than plain workers do`, async ({ engine, openApi, record }, testInfo) => {
  test.setTimeout(300_000);
  const model = requireModel('imagenet-resnet18.xnn');
  const pid = engine.pid;
  if (pid === undefined || treePss(pid) === 0) {
    record({ memory: { measured: false, why: 'the browser process tree is not readable through /proc' } });
    test.skip(true, 'memory not measurable here');
  }
  const page = await openApi();
  await page.evaluate(async () => {
    const blob = await (await fetch('samples/chelsea.png')).blob();
    Object.assign(window, { memTest: { blob, c: null } });
  }, null);
  // Threaded workers end a little after terminate() (their kernel workers leave Atomics.wait).
  const measure = async () => {
    await new Promise((ok) => setTimeout(ok, 3000));
    await page.gc?.();
    return treePss(pid!);
  };
  const control = async () => {
    const out: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      await page.evaluate(async (url) => {
        const bytes = await (await fetch(url)).arrayBuffer();
        const src =
          'onmessage = (e) => { const m = new WebAssembly.Memory({ initial: 512 }); new Uint8Array(m.buffer).fill(1); self.keep = [m, e.data]; postMessage(0); }';
        const js = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
        await Promise.all(
          [0, 1].map(
            () =>
              new Promise((ok) => {
                const w = new Worker(js);
                w.onmessage = () => {
                  w.terminate();
                  ok(0);
                };
                w.postMessage(bytes.slice(0));
              }),
          ),
        );
        URL.revokeObjectURL(js);
      }, model);
      out.push(await measure());
    }
    return out;
  };
  const classifier = async () => {
    const out: number[] = [];
    let live = 0;
    // Model workers replaced while loading (Firefox: see LOAD_MS in src/worker/client.ts).
    let restarts = 0;
    for (let i = 0; i < CYCLES; i++) {
      const r = await page.evaluate(async (url) => {
        const { xnor } = window;
        const t = (window as unknown as { memTest: { blob: Blob; c: unknown } }).memTest;
        const c = await xnor.createClassifier({ model: url, workers: 2, threads: xnor.getCapabilities().threads ? 2 : 1 });
        t.c = c;
        const top = await Promise.all([c.classify(t.blob), c.classify(t.blob)]);
        return { label: top[0].top[0].label, threads: c.loaded.threads, restarts: c.stats().restarts };
      }, model);
      expect(r.label).toBe('Egyptian cat');
      restarts += r.restarts;
      if (i === 0) live = (await measure()) - (out.length ? out[out.length - 1] : base);
      await page.evaluate(() => {
        const t = (window as unknown as { memTest: { c: { dispose(): void } | null } }).memTest;
        t.c!.dispose();
        t.c = null;
      }, null);
      out.push(await measure());
    }
    return { out, live, restarts };
  };

  const base = await measure();
  const ctl = await control();
  const lib = await classifier();
  // Growth per cycle from the second cycle on (the first fills caches).
  const slope = (xs: number[]) => (xs[xs.length - 1] - xs[1]) / (xs.length - 2);
  const ctlSlope = slope(ctl);
  const libSlope = slope(lib.out);
  const fmt = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
  console.log(
    `engines: ${testInfo.project.name} memory (PSS of the browser's processes): start ${fmt(base)}; ` +
      `control (plain workers) after each cycle ${ctl.map(fmt).join(', ')}; one live classifier +${fmt(lib.live)}; ` +
      `classifier after each dispose ${lib.out.map(fmt).join(', ')}; growth per cycle: classifier ${fmt(libSlope)}, control ${fmt(ctlSlope)}; ` +
      `workers replaced while loading: ${lib.restarts}`,
  );
  record({
    memory: { measured: true, liveMiB: +(lib.live / MiB).toFixed(1), growthMiB: +((libSlope - ctlSlope) / MiB).toFixed(1), cycles: CYCLES },
  });
  expect(lib.live).toBeGreaterThan(16 * MiB); // the measurement sees a classifier at all
  expect(libSlope - ctlSlope).toBeLessThan(lib.live / 4);
});
