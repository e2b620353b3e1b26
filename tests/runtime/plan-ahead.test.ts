// Planning while the model downloads (the opt-in `planAhead`: HeaderAhead.partialModel,
// WasmBackend advance/complete, StartedBackend.planAhead): the layers are prepared in whatever
// order their weights arrive, and the model must compute the same bits as one planned after the
// download, and fail the same.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeaderAhead } from '../../src/format/header-ahead.js';
import { readXnn } from '../../src/format/read.js';
import { openModel } from '../../src/runtime/model.js';
import { WasmBackend, createWasmBackend, startWasmKernels } from '../../src/runtime/wasm-backend.js';
import { type PiecesServer, piecesServer } from '../helpers/pieces-server.js';
import { mulberry32 } from '../helpers/rng.js';
import { assemble, split } from '../helpers/tiny-model.js';

const MODELS = ['imagenet-resnet18', 'cifar10-xnor', 'cifar10-bwn', 'fashion-mnist-xnor', 'fashion-mnist-bwn'];
const fileOf = (name: string) => new Uint8Array(readFileSync(new URL(`../../models/${name}.xnn`, import.meta.url)));

function inputFor(bytes: Uint8Array, seed: number): Float32Array {
  const shape = readXnn(bytes).inputs[0].shape;
  const r = mulberry32(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 4 - 2);
}

/** A copy of `bytes` with f32 tensor `name`'s first value set to NaN (the blob CRC made to match). */
function withNaN(bytes: Uint8Array, name: string): Uint8Array {
  const { header, blob } = split(bytes);
  new DataView(blob.buffer).setFloat32(header.tensors[name].offset, Number.NaN, true);
  return assemble(header, blob);
}

describe('WasmBackend planned ahead', () => {
  it('prepares layers as their weights arrive, in any order, and computes the same bits', async () => {
    for (const name of MODELS) {
      const bytes = fileOf(name);
      const x = inputFor(bytes, 7);
      const want = Float32Array.from((await createWasmBackend(readXnn(bytes), { popcount: 'scalar' })).run(x));
      for (const piece of [4096, 65536, 1 << 20]) {
        const { k } = await startWasmKernels({});
        const ahead = new HeaderAhead(bytes.length);
        let backend: WasmBackend | undefined;
        let beforeLast = 0;
        for (let at = 0; at < bytes.length; at += piece) {
          ahead.feed(bytes.subarray(at, at + piece));
          const partial = ahead.partialModel();
          if (!partial) continue;
          backend ??= new WasmBackend(partial, k, { popcount: 'scalar' }, null, true);
          if (at + piece >= bytes.length) beforeLast = backend.preparedSteps;
          backend.advance();
        }
        expect(backend, `${name} ${piece}`).toBeDefined();
        if (piece < bytes.length / 4) expect(beforeLast, `${name} ${piece}: steps prepared before the last piece`).toBeGreaterThan(0);
        expect(() => backend!.run(x)).toThrow(/before its plan was completed/);
        backend!.complete(readXnn(bytes, { ahead }));
        expect(backend!.preparedSteps).toBe(backend!.steps.length);
        expect(Float32Array.from(backend!.run(x)), `${name} ${piece}`).toEqual(want);
      }
    }
  });
});

describe('openModel over a download that arrives in pieces', () => {
  const resnet = fileOf('imagenet-resnet18');
  const nan = withNaN(resnet, 'stage2_unit1_conv1_mul');
  let site: PiecesServer;
  let base: string;
  beforeAll(async () => {
    site = await piecesServer((path) => (path.includes('nan') ? nan : resnet), { piece: 200_000, delayMs: 2, sized: () => true });
    base = site.base;
  });
  afterAll(() => site.close());

  it('gives the same outputs as a model loaded from bytes', async () => {
    const x = inputFor(resnet, 3);
    const fromBytes = await openModel(resnet, { wasm: { popcount: 'scalar' } });
    const fromUrl = await openModel(`${base}/resnet18.xnn`, { wasm: { popcount: 'scalar', planAhead: true } });
    expect(fromUrl.run(x).data).toEqual(fromBytes.run(x).data);
    expect(fromUrl.memoryBytes).toBeGreaterThan(0);
    fromBytes.dispose();
    fromUrl.dispose();
  });

  it('rejects a non-finite weight with readXnn\'s error, as from bytes (the plan ahead is dropped)', async () => {
    const message = await openModel(nan).then(() => 'loaded', (e: Error) => `${e.name}: ${e.message}`);
    expect(message).toMatch(/stage2_unit1_conv1_mul": element 0 is not finite/);
    const fromUrl = await openModel(`${base}/nan.xnn`, { wasm: { planAhead: true } }).then(() => 'loaded', (e: Error) => `${e.name}: ${e.message}`);
    expect(fromUrl).toBe(message.replace('ModelFormatError: ', `ModelFormatError: ${base}/nan.xnn: `));
  });
});
