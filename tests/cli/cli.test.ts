import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { readXnn } from '../../src/format/read.js';
import { preprocessImage } from '../../src/image/preprocess.js';
import { runReference } from '../../src/reference/interpreter.js';
import { softmax } from '../../src/runtime/model.js';
import { readNpy } from '../../src/cli/npy.js';
import { ROOT, expectOneLineError, runCli } from './run-cli.js';
import { tinyModelBytes } from './tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'xnor-cli-'));
const model = join(dir, 'tiny.xnn');
const modelBytes = tinyModelBytes({ resizeShortSide: 10, centerCrop: [8, 8] });
writeFileSync(model, modelBytes);

function png(path: string, w: number, h: number, seed: number) {
  const p = new pngjs.PNG({ width: w, height: h });
  for (let i = 0; i < p.data.length; i++) p.data[i] = i % 4 === 3 ? 255 : (i * seed) % 256;
  writeFileSync(path, pngjs.PNG.sync.write(p));
  return { width: w, height: h, channels: 4 as const, data: new Uint8Array(p.data) };
}
const imgA = join(dir, 'a.png');
const imgB = join(dir, 'b.png');
const rawA = png(imgA, 12, 10, 7);
png(imgB, 10, 14, 13);

/** A .npy file written by hand (not by our writer), so the reader is checked independently. */
function npy(descr: string, shape: number[], body: Uint8Array) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 16) * 16 - 11) + '\n';
  const pre = new Uint8Array(10);
  pre.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(pre.buffer).setUint16(8, header.length, true);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

describe('help and usage', () => {
  it('--help lists the commands; COMMAND --help shows its usage', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['convert', 'inspect', 'classify', 'eval', 'run', 'bench']) expect(r.stdout).toContain(c);
    const c = await runCli(['classify', '--help']);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('--top K');
  });
  it('no arguments → usage, non-zero', async () => {
    const r = await runCli([]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('usage');
  });
});

describe('inspect', () => {
  it('prints layers and byte totals; --json is one object', async () => {
    const r = await runCli(['inspect', model]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('BinConv2D');
    expect(r.stdout).toMatch(/as float32/);
    const j = await runCli(['inspect', model, '--json']);
    const o = JSON.parse(j.stdout);
    expect(o.metadata.name).toBe('tiny-test');
    expect(o.summary.layers.length).toBe(6);
    expect(o.summary.bytes).toBeLessThan(o.summary.floatBytes);
  });
});

describe('classify', () => {
  it('--json prints one array with image, top[index,label,prob]', async () => {
    const r = await runCli(['classify', model, imgA, imgB, '--top', '2', '--json', '--backend', 'reference']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toHaveLength(2);
    expect(out[0].image).toBe(imgA);
    expect(out[1].image).toBe(imgB);
    for (const rec of out) {
      expect(rec.top).toHaveLength(2);
      for (const t of rec.top) {
        expect(Object.keys(t).sort()).toEqual(['index', 'label', 'prob']);
        expect(['alpha', 'beta', 'gamma'][t.index]).toBe(t.label);
      }
      expect(rec.top[0].prob).toBeGreaterThanOrEqual(rec.top[1].prob);
    }
    // same numbers as the library path
    const m = readXnn(modelBytes);
    const p = softmax(runReference(m, preprocessImage(rawA, m.metadata).data).output.data);
    expect(out[0].top[0].prob).toBeCloseTo(Math.max(...p), 5);
  });
  it('text output names each image', async () => {
    const r = await runCli(['classify', model, imgA, '--backend', 'reference']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(imgA);
  });
});

describe('run (.npy round trip)', () => {
  const m = readXnn(modelBytes);
  const n = 8 * 8 * 3;
  it('f32, f64 and u8 inputs; f32 output equal to the reference', async () => {
    const x = Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 3);
    const want = runReference(m, x).output.data;
    const f4 = join(dir, 'in-f4.npy');
    writeFileSync(f4, npy('<f4', [1, 8, 8, 3], new Uint8Array(x.buffer)));
    const out = join(dir, 'out.npy');
    const r = await runCli(['run', model, '--input', f4, '--output', out, '--backend', 'reference']);
    expect(r.code, r.stderr).toBe(0);
    const y = readNpy(readFileSync(out));
    expect(y.descr).toBe('<f4');
    expect(y.shape).toEqual([1, 3]);
    expect(Array.from(y.data)).toEqual(Array.from(want));

    const f8 = join(dir, 'in-f8.npy');
    writeFileSync(f8, npy('<f8', [8, 8, 3], new Uint8Array(Float64Array.from(x).buffer))); // batch dim left out
    const r8 = await runCli(['run', model, '--input', f8, '--output', out, '--backend', 'reference']);
    expect(r8.code, r8.stderr).toBe(0);
    expect(Array.from(readNpy(readFileSync(out)).data)).toEqual(Array.from(want));

    const u = Uint8Array.from({ length: n }, (_, i) => (i * 11) % 256);
    const u1 = join(dir, 'in-u1.npy');
    writeFileSync(u1, npy('|u1', [1, 8, 8, 3], u));
    const ru = await runCli(['run', model, '--input', u1, '--output', out, '--backend', 'reference']);
    expect(ru.code, ru.stderr).toBe(0);
    expect(Array.from(readNpy(readFileSync(out)).data)).toEqual(Array.from(runReference(m, Float32Array.from(u)).output.data));
  });
  it('wrong shape, bad dtype, missing input → one-line errors', async () => {
    const bad = join(dir, 'bad-shape.npy');
    writeFileSync(bad, npy('<f4', [1, 3, 8, 8], new Uint8Array(n * 4)));
    expectOneLineError(await runCli(['run', model, '--input', bad, '--output', join(dir, 'o.npy'), '--backend', 'reference']), /shape \[1,3,8,8\]/);
    const i8 = join(dir, 'i8.npy');
    writeFileSync(i8, npy('<i8', [1, 8, 8, 3], new Uint8Array(n * 8)));
    expectOneLineError(await runCli(['run', model, '--input', i8, '--output', join(dir, 'o.npy'), '--backend', 'reference']), /dtype '<i8'/);
    expectOneLineError(await runCli(['run', model, '--input', join(dir, 'none.npy'), '--output', join(dir, 'o.npy')]), /no such file/);
    expectOneLineError(await runCli(['run', model, '--input', bad]), /--output/);
  });
});

describe('bench', () => {
  it('--json prints model, median_ms, p90_ms', async () => {
    const r = await runCli(['bench', model, '--runs', '5', '--warmup', '1', '--json', '--backend', 'reference']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(o.model).toBe('tiny-test');
    expect(o.runs).toBe(5);
    expect(o.median_ms).toBeGreaterThanOrEqual(0);
    expect(o.p90_ms).toBeGreaterThanOrEqual(o.median_ms);
  });
  it('--threads 2 runs the wasm backend on 2 threads and says so', async () => {
    const r = await runCli(['bench', join(ROOT, 'models/fashion-mnist-xnor.xnn'), '--runs', '3', '--warmup', '1', '--threads', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(o.threads).toBe(2);
    expect(o.backend).toBe('wasm');
  });
});

describe('eval', () => {
  it('folder with labels.tsv: --json last line {n, top1, top5}; -1 labels skipped', async () => {
    const d = join(dir, 'set');
    mkdirSync(d);
    png(join(d, 'x.png'), 12, 10, 7);
    png(join(d, 'y.png'), 10, 10, 3);
    png(join(d, 'z.png'), 10, 10, 5);
    writeFileSync(join(d, 'labels.tsv'), 'x.png\t0\ny.png\t2\tnote\nz.png\t-1\n');
    const r = await runCli(['eval', model, '--data', d, '--json', '--backend', 'reference']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(Object.keys(o)).toEqual(['n', 'top1', 'top5']);
    expect(o.n).toBe(2);
    expect(o.top5).toBe(1); // 3 classes: always in the top 5
  });
  it('CIFAR binary batch and MNIST-style IDX folder; --limit; progress lines on stderr', async () => {
    const m32 = join(dir, 'tiny32.xnn');
    writeFileSync(m32, tinyModelBytes({ size: 32 }));
    const rec = 3073;
    const bin = new Uint8Array(rec * 7).map((_, i) => (i % rec === 0 ? (i / rec) % 3 : (i * 31) % 256));
    const cifar = join(dir, 'batch.bin');
    writeFileSync(cifar, bin);
    const r = await runCli(['eval', m32, '--data', cifar, '--limit', '5', '--every', '2', '--json', '--backend', 'reference']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).n).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(2); // after images 2 and 4

    const g28 = join(dir, 'tiny28.xnn');
    writeFileSync(g28, tinyModelBytes({ size: 28, colorOrder: 'GRAY' }));
    const idx = join(dir, 'fmnist');
    mkdirSync(idx);
    const head = (magic: number, dims: number[]) => {
      const b = new DataView(new ArrayBuffer(4 + 4 * dims.length));
      b.setUint32(0, magic);
      dims.forEach((d, i) => b.setUint32(4 + 4 * i, d));
      return new Uint8Array(b.buffer);
    };
    writeFileSync(join(idx, 't10k-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([head(0x803, [4, 28, 28]), new Uint8Array(4 * 784).fill(9)])));
    writeFileSync(join(idx, 't10k-labels-idx1-ubyte.gz'), gzipSync(Buffer.concat([head(0x801, [4]), Uint8Array.of(0, 1, 2, 1)])));
    const ri = await runCli(['eval', g28, '--data', idx, '--json', '--backend', 'reference']);
    expect(ri.code, ri.stderr).toBe(0);
    expect(JSON.parse(ri.stdout.trim().split('\n').pop()!).n).toBe(4);
  });
  it('bad data paths → one-line errors', async () => {
    expectOneLineError(await runCli(['eval', model, '--backend', 'reference']), /--data/);
    expectOneLineError(await runCli(['eval', model, '--data', join(dir, 'nothing'), '--backend', 'reference']), /no such file/);
    const odd = join(dir, 'odd.bin');
    writeFileSync(odd, new Uint8Array(100));
    expectOneLineError(await runCli(['eval', model, '--data', odd, '--backend', 'reference']), /not a CIFAR-10 binary batch/);
  });
});

describe('error paths: exit ≠ 0 and one line starting "xnor-web:"', () => {
  it('missing model file', async () => {
    expectOneLineError(await runCli(['classify', join(dir, 'missing.xnn'), imgA, '--backend', 'reference']), /missing\.xnn: no such file/);
    expectOneLineError(await runCli(['inspect', join(dir, 'missing.xnn')]), /no such file/);
  });
  it('an HTML file instead of a model', async () => {
    const html = join(dir, 'index.xnn');
    writeFileSync(html, '<!DOCTYPE html>\n<html><head><title>x</title></head></html>\n');
    expectOneLineError(await runCli(['inspect', html]), /HTML page/);
    expectOneLineError(await runCli(['classify', html, imgA, '--backend', 'reference']), /HTML page/);
  });
  it('a corrupt model and a non-image', async () => {
    const bad = join(dir, 'trunc.xnn');
    writeFileSync(bad, modelBytes.subarray(0, 200));
    expectOneLineError(await runCli(['inspect', bad]), /trunc\.xnn/);
    const txt = join(dir, 'notes.png');
    writeFileSync(txt, 'hello');
    expectOneLineError(await runCli(['classify', model, txt, '--backend', 'reference']), /notes\.png: not a PNG or JPEG/);
  });
  it('bad arguments', async () => {
    const r = await runCli(['classify', model, imgA, '--bogus']);
    expectOneLineError(r, /Unknown option '--bogus'/);
    expect(r.code).toBe(2);
    expectOneLineError(await runCli(['frobnicate']), /unknown command/);
    expectOneLineError(await runCli(['classify', model]), /missing/);
    expectOneLineError(await runCli(['classify', model, imgA, '--top', 'x']), /--top/);
    expectOneLineError(await runCli(['classify', model, imgA, '--backend', 'cuda']), /--backend/);
    expectOneLineError(await runCli(['convert', 'model.onnx', '-o', 'x.xnn']), /cannot read ONNX model model\.onnx: no such file/);
    expectOneLineError(await runCli(['convert', 'a.json', 'b.params', '-o', 'x.xnn', '--preset', 'nope']), /--preset/);
  });
});
