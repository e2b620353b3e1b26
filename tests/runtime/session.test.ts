// The public loadModel on this thread (workers: 0) in Node: every source, the async Session over
// the Model layer, one classify default, typed errors; and errors rebuilt from a worker's `name`
// without touching comlink's page-wide 'throw' handler. (In workers: tests/e2e/worker.spec.ts.)
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transferHandlers } from 'comlink';
import { describe, expect, it } from 'vitest';
import {
  DisposedError,
  ImageDecodeError,
  InputError,
  IntegrityError,
  loadModel,
  ModelFormatError,
  ModelHtmlError,
  type RawImage,
  WasmLoadError,
} from '../../src/index.js';
import { openModel } from '../../src/runtime/model.js';
import { rebuildError } from '../../src/worker/transfer.js';
import { expectRejects, expectThrows } from '../helpers/errors.js';
import { tinyModelBytes } from '../cli/tiny-model.js';

const bytes = tinyModelBytes({ resizeShortSide: 10, centerCrop: [8, 8] });
const strictBytes = tinyModelBytes();
const dir = mkdtempSync(join(tmpdir(), 'xnor-session-'));
const path = join(dir, 'tiny.xnn');
writeFileSync(path, bytes);
const input = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.sin(i) * 2);
const image: RawImage = { width: 12, height: 10, channels: 4, data: Uint8Array.from({ length: 480 }, (_, i) => (i * 37) % 256) };

describe('loadModel (workers: 0)', () => {
  it('bytes, path, Blob and Response give the same Session as the Model under it', async () => {
    const m = await openModel(bytes);
    const want = m.run(input).data;
    const sessions = await Promise.all([
      loadModel(bytes),
      loadModel(path),
      loadModel(new Blob([bytes as Uint8Array<ArrayBuffer>])),
      loadModel(new Response(bytes as Uint8Array<ArrayBuffer>)),
    ]);
    for (const s of sessions) {
      expect(s.workers).toBe(0);
      expect(s.backend).toBe('wasm');
      expect(s.threads).toBe(1);
      expect(s.modelBytes).toBe(bytes.byteLength);
      expect(s.inputShape).toEqual([1, 8, 8, 3]);
      expect(s.loaded).toMatchObject({ outputShape: [1, 3], threads: 1, backend: 'wasm', simd: true });
      const y = await s.run(input);
      expect(y.shape).toEqual([1, 3]);
      expect(Array.from(y.data)).toEqual(Array.from(want));
      const r = await s.classify(image, { top: 2 });
      expect(r.top).toEqual(m.classify(image, { top: 2 }));
      expect([r.width, r.height]).toEqual([12, 10]);
      expect(r.ms).toBeGreaterThanOrEqual(r.inferMs);
      expect(await s.classifyFrame(image)).not.toBeNull();
      expect(s.stats()).toEqual({ classified: 2, dropped: 0, restarts: 0 });
      const [ws] = await s.workerStats();
      expect(ws.classified).toBe(2);
      expect(ws.wasmMemoryBytes).toBeGreaterThan(0);
      s.dispose();
    }
    m.dispose();
  });

  it('one resize default ("auto"), set per session or per call; top per session or per call', async () => {
    const s = await loadModel(strictBytes, { top: 1 });
    expect((await s.classify(image)).top).toHaveLength(1);
    expect((await s.classify(image, { top: 3 })).top).toHaveLength(3);
    await expectRejects(s.classify(image, { fit: 'strict' }), InputError, /does not resize/);
    const strict = await loadModel(strictBytes, { fit: 'strict' });
    await expect(strict.classify(image)).rejects.toThrow(/12x10/);
    expect((await strict.classify(image, { fit: 'auto' })).top).toHaveLength(3);
    s.dispose();
    strict.dispose();
  });

  it('bad input, bad options and use after dispose are typed errors', async () => {
    const s = await loadModel(bytes, { backend: 'reference' });
    expect(s.backend).toBe('reference');
    await expectRejects(s.run(new Float32Array(5)), InputError, /^input has 5 values, the model takes \[1,8,8,3\]/);
    const nan = input.slice();
    nan[3] = NaN;
    await expect(s.run(nan)).rejects.toThrow(/input\[3\] is NaN/);
    await expectRejects(s.classify({ width: 2, height: 2, channels: 3, data: new Uint8Array(3) }), InputError, 'image data has 3 bytes, expected 2x2x3 = 12');
    await expect(s.classify(image, { top: 0 })).rejects.toThrow(/top must be a positive integer/);
    await expectRejects(s.classify(new Blob(['x'], { type: 'image/png' })), ImageDecodeError, /^a Blob is decoded with createImageBitmap/);
    await expectRejects(s.classify(42 as unknown as RawImage), InputError, /^classify\(\) takes an ImageBitmap, ImageData/);
    expectThrows(() => s.terminateWorker(), InputError, /there is no worker to terminate/);
    s.dispose();
    s.dispose();
    await expectRejects(s.run(input), DisposedError, /dispose/);
    await expectRejects(s.classify(image), DisposedError, /dispose/);
    await expect(loadModel(bytes, { workers: -1 })).rejects.toThrow(/workers must be an integer in 0\.\.64, got -1/);
    await expect(loadModel(bytes, { workers: 1 })).rejects.toThrow(/needs Web Workers.*workers: 0/);
    await expectRejects(loadModel(bytes, { wasm: { url: new Uint8Array([1, 2, 3]) } }), WasmLoadError, /^the given xnor\.wasm bytes is not a WebAssembly module \(it starts with 01 02 03\)/);
  });

  it('integrity and HTML detection for every source', async () => {
    const sri = `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
    const wrong = `sha256-${createHash('sha256').update('other').digest('base64')}`;
    for (const src of [bytes, path, new Blob([bytes as Uint8Array<ArrayBuffer>]), new Response(bytes as Uint8Array<ArrayBuffer>)]) {
      (await loadModel(src, { integrity: sri })).dispose();
      const again = src instanceof Response ? new Response(bytes as Uint8Array<ArrayBuffer>) : src;
      await expectRejects(loadModel(again, { integrity: wrong }), IntegrityError, new RegExp(`integrity mismatch: expected ${wrong.replace(/[+/]/g, '\\$&')}, got ${sri.replace(/[+/]/g, '\\$&')}`));
    }
    const html = new Blob(['<!doctype html><html></html>']);
    await expectRejects(loadModel(html), ModelHtmlError, /an HTML page was served instead of a model/);
    await expect(loadModel(new Response('nope', { status: 404 }))).rejects.toThrow(/HTTP 404/);
    await expectRejects(loadModel(new Uint8Array(64).fill(7)), ModelFormatError, /^not an \.xnn file: bad magic at byte 0/);
  });
});

describe('errors from a worker', () => {
  it('are rebuilt as our classes from their name; comlink keeps its own throw handler', async () => {
    const before = transferHandlers.get('throw');
    // what comlink's handler makes of a thrown InputError on this side: an Error with its fields
    const wire = Object.assign(new Error('input[0] is NaN'), { name: 'InputError', stack: 'at worker' });
    const e = rebuildError(wire);
    expect(e).toBeInstanceOf(InputError);
    expect(e).toMatchObject({ name: 'InputError', message: 'input[0] is NaN', stack: 'at worker' });
    const html = rebuildError(Object.assign(new Error('page'), { name: 'ModelHtmlError' }));
    expect(html).toBeInstanceOf(ModelFormatError);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(rebuildError(abort)).toBe(abort);
    expect(rebuildError('text')).toBe('text');
    await loadModel(bytes).then((s) => s.dispose());
    expect(transferHandlers.get('throw')).toBe(before);
  });
});
