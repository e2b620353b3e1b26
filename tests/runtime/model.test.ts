import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readXnn } from '../../src/format/read.js';
import { preprocessImage } from '../../src/image/preprocess.js';
import { runReference } from '../../src/reference/interpreter.js';
import { DisposedError, InputError, ModelFormatError, softmax, topK, XnorError, type RawImage } from '../../src/index.js';
import { expectThrows } from '../helpers/errors.js';
import { registerBackend } from '../../src/runtime/backend.js';
// The synchronous Model layer under the public loadModel (tests/runtime/session.test.ts).
import { openModel as loadModel } from '../../src/runtime/model.js';
import { tinyGraph, tinyModelBytes } from '../cli/tiny-model.js';
import { writeXnn } from '../../src/format/write.js';

const bytes = tinyModelBytes({ resizeShortSide: 10, centerCrop: [8, 8] });
const dir = mkdtempSync(join(tmpdir(), 'xnor-model-'));
const path = join(dir, 'tiny.xnn');
writeFileSync(path, bytes);
const input = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.sin(i) * 2);
const image: RawImage = { width: 12, height: 10, channels: 4, data: Uint8Array.from({ length: 480 }, (_, i) => (i * 37) % 256) };

describe('loadModel sources', () => {
  it('bytes, ArrayBuffer, path and file: URL give the same model', async () => {
    const ab = bytes.slice().buffer;
    const models = await Promise.all([
      loadModel(bytes, { backend: 'reference' }),
      loadModel(ab, { backend: 'reference' }),
      loadModel(path, { backend: 'reference' }),
      loadModel(pathToFileURL(path), { backend: 'reference' }),
      loadModel(pathToFileURL(path).href, { backend: 'reference' }),
    ]);
    const outs = models.map((m) => Array.from(m.run(input).data));
    for (const o of outs) expect(o).toEqual(outs[0]);
    expect(models[0].info.name).toBe('tiny-test');
    expect(models[0].info.labels).toEqual(['alpha', 'beta', 'gamma']);
    expect(models[0].inputShape).toEqual([1, 8, 8, 3]);
    expect(models[0].outputShape).toEqual([1, 3]);
  });

  it('missing file → XnorError naming it', async () => {
    await expect(loadModel(join(dir, 'nope.xnn'), { backend: 'reference' })).rejects.toThrow(/nope\.xnn: no such file/);
  });

  it('HTML bytes → ModelFormatError', async () => {
    const html = new TextEncoder().encode('\n  <!DOCTYPE html><html><body>Not found</body></html>');
    await expect(loadModel(html, { backend: 'reference' })).rejects.toThrow(ModelFormatError);
    const p = join(dir, 'page.xnn');
    writeFileSync(p, html);
    await expect(loadModel(p, { backend: 'reference' })).rejects.toThrow(/page\.xnn: an HTML page was served instead of a model/);
  });

  it('corrupt model → ModelFormatError with the path', async () => {
    const p = join(dir, 'bad.xnn');
    writeFileSync(p, bytes.subarray(0, 100));
    await expect(loadModel(p, { backend: 'reference' })).rejects.toThrow(ModelFormatError);
    await expect(loadModel(p, { backend: 'reference' })).rejects.toThrow(/bad\.xnn: /);
  });

  it('an aborted signal rejects', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await loadModel(bytes, { backend: 'reference', signal: ac.signal }).then(() => null, (e: unknown) => e);
    expect(err).toBe(ac.signal.reason);
    expect((err as Error).name).toBe('AbortError');
  });

  it('unknown backend → XnorError', async () => {
    await expect(loadModel(bytes, { backend: 'gpu' as 'wasm' })).rejects.toThrow(/unknown backend "gpu"/);
  });

  it('the default backend is wasm and agrees with the reference', async () => {
    const w = await loadModel(bytes);
    const r = await loadModel(bytes, { backend: 'reference' });
    expect(w.backendName).toBe('wasm');
    const a = w.run(input).data;
    const b = r.run(input).data;
    for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
    expect(w.classify(image, { top: 1 })[0].index).toBe(r.classify(image, { top: 1 })[0].index);
    w.dispose();
  });
});

describe('loadModel over HTTP', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/model.xnn') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.from(bytes));
      } else if (req.url === '/spa.xnn') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><html><body>app</body></html>');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches a model URL (string and URL object)', async () => {
    const m = await loadModel(`${base}/model.xnn`, { backend: 'reference' });
    expect(m.info.name).toBe('tiny-test');
    const m2 = await loadModel(new URL(`${base}/model.xnn`), { backend: 'reference' });
    expect(m2.outputShape).toEqual([1, 3]);
  });
  it('an HTML page served instead of the model → ModelFormatError with the URL', async () => {
    await expect(loadModel(`${base}/spa.xnn`, { backend: 'reference' })).rejects.toThrow(ModelFormatError);
    await expect(loadModel(`${base}/spa.xnn`, { backend: 'reference' })).rejects.toThrow(
      new RegExp(`${base}/spa\\.xnn: an HTML page was served instead of a model`),
    );
  });
  it('HTTP 404 → XnorError with the status', async () => {
    await expect(loadModel(`${base}/missing.xnn`, { backend: 'reference' })).rejects.toThrow(/HTTP 404/);
  });
});

describe('Model.run', () => {
  it('matches the reference interpreter; Tensor or Float32Array; output is a copy', async () => {
    const m = await loadModel(bytes, { backend: 'reference' });
    const want = runReference(readXnn(bytes), input).output.data;
    const a = m.run(input);
    expect(a.shape).toEqual([1, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(want));
    const b = m.run({ shape: [1, 8, 8, 3], data: input });
    expect(Array.from(b.data)).toEqual(Array.from(want));
    a.data[0] = 1234;
    expect(m.run(input).data[0]).toBe(want[0]);
  });

  it('rejects wrong shapes and lengths with InputError', async () => {
    const m = await loadModel(bytes, { backend: 'reference' });
    expectThrows(() => m.run(new Float32Array(10)), InputError, 'input has 10 values, the model takes [1,8,8,3] = 192');
    expect(() => m.run({ shape: [1, 3, 8, 8], data: input })).toThrow(/shape \[1,3,8,8\] differs/);
    expectThrows(() => m.run({ shape: [1, 8, 8, 3], data: new Float32Array(5) }), InputError, 'input data has 5 values for shape [1,8,8,3]');
    expectThrows(() => m.run([1, 2, 3] as unknown as Float32Array), InputError, /^input must be a Float32Array or a Tensor/);
  });

  it('NaN / Infinity → InputError naming the first bad index', async () => {
    const m = await loadModel(bytes, { backend: 'reference' });
    const x = input.slice();
    x[17] = NaN;
    x[40] = Infinity;
    expect(() => m.run(x)).toThrow(/input\[17\] is NaN/);
    x[17] = 0;
    expect(() => m.run(x)).toThrow(/input\[40\] is Infinity/);
  });

  it('passes a copy of backend-owned output views', async () => {
    const shared = new Float32Array(3);
    let calls = 0;
    registerBackend('view-test', async () => ({
      run: () => {
        shared.fill(++calls);
        return shared;
      },
      dispose() {},
    }));
    const m = await loadModel(bytes, { backend: 'view-test' as 'wasm' });
    const a = m.run(input);
    const b = m.run(input);
    expect(Array.from(a.data)).toEqual([1, 1, 1]);
    expect(Array.from(b.data)).toEqual([2, 2, 2]);
  });
});

describe('Model.classify', () => {
  it('softmax over logits, top-K sorted, with labels', async () => {
    const m = await loadModel(bytes, { backend: 'reference' });
    const all = m.classify(image, { top: 10 });
    expect(all).toHaveLength(3);
    expect(all.reduce((s, p) => s + p.prob, 0)).toBeCloseTo(1, 5);
    for (let i = 1; i < all.length; i++) expect(all[i - 1].prob).toBeGreaterThanOrEqual(all[i].prob);
    for (const p of all) expect(p.label).toBe(['alpha', 'beta', 'gamma'][p.index]);
    expect(m.classify(image)).toHaveLength(3);
    expect(m.classify(image, { top: 1 })[0]).toEqual(all[0]);
    expectThrows(() => m.classify(image, { top: 0 }), InputError, 'top must be a positive integer, got 0');
  });

  it('probabilities output: no softmax applied', async () => {
    const m = await loadModel(tinyModelBytes({ outputKind: 'probabilities' }), { backend: 'reference' });
    const img: RawImage = { width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(77) };
    const preds = m.classify(img, { top: 3 });
    const { preprocessImage } = await import('../../src/image/preprocess.js');
    const raw = m.run(preprocessImage(img, m.info)).data;
    for (const p of preds) expect(p.prob).toBe(raw[p.index]);
  });

  it('grey model accepts RGB images (luma)', async () => {
    const m = await loadModel(tinyModelBytes({ colorOrder: 'GRAY' }), { backend: 'reference' });
    const img: RawImage = { width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(200) };
    expect(m.classify(img, { top: 2 })).toHaveLength(2);
  });

  it('a model whose input is not an image → InputError pointing to run()', async () => {
    const g = tinyGraph();
    g.metadata.input.colorOrder = 'NONE';
    const m = await loadModel(writeXnn(g), { backend: 'reference' });
    expectThrows(
      () => m.classify(image),
      InputError,
      "this model's input [1,8,8,3] is not an image (colour order NONE): classify() needs an RGB or GRAY model; pass a tensor to run() instead",
    );
    expect(m.run(input).shape).toEqual(m.outputShape); // run() works on it
  });

  it("wrong image size for a non-resizing model → InputError with fit 'strict'; 'auto' (default) fits it", async () => {
    const m = await loadModel(tinyModelBytes(), { backend: 'reference' });
    expect(() => m.classify(image, { fit: 'strict' })).toThrow(InputError);
    expect(() => m.classify(image, { fit: 'strict' })).toThrow(/does not resize/);
    const [, H, W] = m.inputShape;
    const fitted = m.classify(image);
    // 'auto' is exactly: short side scaled to the input, centre crop.
    const spec = { ...m.info, preprocess: { ...m.info.preprocess, resizeShortSide: Math.max(H, W), centerCrop: [H, W] as [number, number] } };
    const y = m.run(preprocessImage(image, spec)).data;
    const probs = m.info.output.kind === 'logits' ? softmax(y) : y;
    expect(fitted).toEqual(topK(probs, 5, m.info.labels));
  });
});

describe('dispose', () => {
  it('is idempotent; later use throws DisposedError; Symbol.dispose works', async () => {
    let disposed = 0;
    registerBackend('count-dispose', async () => ({ run: () => new Float32Array(3), dispose: () => void disposed++ }));
    const m = await loadModel(bytes, { backend: 'count-dispose' as 'wasm' });
    m.dispose();
    m.dispose();
    expect(disposed).toBe(1);
    expect(() => m.run(input)).toThrow(DisposedError);
    expect(() => m.classify(image)).toThrow(DisposedError);
    try {
      m.run(input);
    } catch (e) {
      expect((e as Error).name).toBe('DisposedError');
      expect(e).toBeInstanceOf(XnorError);
    }
    const m2 = await loadModel(bytes, { backend: 'count-dispose' as 'wasm' });
    const sym = (Symbol as unknown as { dispose?: symbol }).dispose;
    if (sym) {
      (m2 as unknown as Record<symbol, () => void>)[sym]();
      expect(disposed).toBe(2);
      expect(() => m2.run(input)).toThrow(DisposedError);
    }
  });
});

describe('Model.memoryBytes', () => {
  it('is the WASM memory, unchanged by runs; 0 for the reference backend; DisposedError after dispose', async () => {
    const m = await loadModel(bytes);
    const at = m.memoryBytes;
    expect(at).toBeGreaterThanOrEqual(65536);
    expect(at % 65536).toBe(0);
    for (let i = 0; i < 20; i++) m.run(input);
    expect(m.memoryBytes).toBe(at);
    m.dispose();
    expect(() => m.memoryBytes).toThrow(DisposedError);
    const ref = await loadModel(bytes, { backend: 'reference' });
    expect(ref.memoryBytes).toBe(0);
    ref.dispose();
  });
});
