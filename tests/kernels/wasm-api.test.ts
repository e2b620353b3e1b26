import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadWasm } from '../../src/wasm/load.js';
import { XnorKernels, choosePopcount, ALLOC_SLACK } from '../../src/wasm/kernels.js';
import { kernels, mulberry32 } from './helpers.js';

const wasmUrl = new URL('../../src/wasm/xnor.wasm', import.meta.url);

describe('loader', () => {
  it('loads the default asset, bytes, ArrayBuffer and Module, and the debug build', async () => {
    const bytes = await readFile(wasmUrl);
    const u8 = new Uint8Array(bytes);
    const sources = [undefined, u8, u8.slice().buffer, new WebAssembly.Module(u8), wasmUrl];
    for (const source of sources) {
      const inst = await loadWasm({ source });
      expect(typeof inst.exports.bconv2d).toBe('function');
      expect(inst.exports.memory).toBeInstanceOf(WebAssembly.Memory);
    }
    const dbg = await XnorKernels.load({ debug: true });
    expect(dbg.base).toBeGreaterThan(0);
  });
});

describe('bump allocator', () => {
  it('aligns, keeps slack, grows memory and hands out fresh views', async () => {
    const k = await XnorKernels.load();
    expect(k.base % 16).toBe(0);
    const a = k.alloc(3);
    const b = k.alloc(8, 64);
    expect(a % 16).toBe(0);
    expect(b % 64).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 3 + ALLOC_SLACK);
    const before = k.memory.buffer.byteLength;
    const big = k.alloc(before * 2);
    expect(k.memory.buffer.byteLength).toBeGreaterThan(big + before * 2);
    k.writeF32(big, [1.5]);
    expect(k.readF32(big, 1)[0]).toBe(1.5);
    const m = k.mark();
    k.alloc(100);
    k.release(m);
    expect(k.mark()).toBe(m);
  });
});

describe('popcount strategies', () => {
  it('both strategies give the same XOR popcount as a JS count, setter round-trips', async () => {
    const k = await kernels();
    const r = mulberry32(5);
    for (const words of [1, 2, 3, 7, 64, 129]) {
      const a = k.alloc(words * 8), b = k.alloc(words * 8);
      const u8 = k.u8();
      let want = 0;
      for (let i = 0; i < words * 8; i++) {
        u8[a + i] = Math.floor(r() * 256);
        u8[b + i] = Math.floor(r() * 256);
        let v = u8[a + i] ^ u8[b + i];
        while (v) { want += v & 1; v >>= 1; }
      }
      expect(k.exports.xorPopcountSum(a, b, words, 3, 0)).toBe(BigInt(3 * want));
      expect(k.exports.xorPopcountSum(a, b, words, 3, 1)).toBe(BigInt(3 * want));
    }
    k.setPopcount('simd');
    expect(k.getPopcount()).toBe('simd');
    k.setPopcount('hybrid');
    expect(k.getPopcount()).toBe('hybrid');
    k.setPopcount('scalar');
    expect(k.getPopcount()).toBe('scalar');
  });

  it('choosePopcount times all three per loop shape and selects; force overrides; memory is released', async () => {
    const k = await XnorKernels.load();
    const m = k.mark();
    const c = choosePopcount(k, { runs: 2 });
    const all = ['scalar', 'simd', 'hybrid'];
    expect(all).toContain(c.strategy);
    for (const shape of ['k3c64', 'k1', 'general'] as const) expect(all).toContain(c.perShape[shape]);
    expect(c.ms!.scalar).toBeGreaterThan(0);
    expect(c.ms!.simd).toBeGreaterThan(0);
    expect(c.ms!.hybrid).toBeGreaterThan(0);
    expect(k.getPopcount()).toBe(c.strategy);
    expect(k.mark()).toBe(m);
    const f = choosePopcount(k, { force: 'simd' });
    expect(f.strategy).toBe('simd');
    expect(f.perShape).toEqual({ k3c64: 'simd', k1: 'simd', general: 'simd' });
    expect(k.getPopcount()).toBe('simd');
  });

  it('bconvShape names the kernel loop shape a layer runs', async () => {
    const { bconvShape } = await import('../../src/wasm/kernels.js');
    const g = { n: 1, h: 8, w: 8, kh: 3, kw: 3 };
    expect(bconvShape({ ...g, c: 64 })).toBe('k3c64');
    expect(bconvShape({ ...g, c: 65 })).toBe('general');
    expect(bconvShape({ ...g, c: 64, dilations: [1, 2] })).toBe('general');
    expect(bconvShape({ ...g, c: 512, kh: 1, kw: 1 })).toBe('k1');
    expect(bconvShape({ ...g, c: 576, kh: 1, kw: 1 })).toBe('general');
  });
});
