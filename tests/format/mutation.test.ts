// Seeded mutations of a small valid model: readXnn must either accept the result or throw a
// ModelFormatError — never another exception type, never hang.

import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { readXnn } from '../../src/format/read.js';
import { writeXnn } from '../../src/format/write.js';
import { assemble, rng, split, tinyGraph } from '../helpers/tiny-model.js';

const good = writeXnn(tinyGraph());

function outcome(bytes: Uint8Array): 'ok' | 'rejected' {
  try {
    readXnn(bytes);
    return 'ok';
  } catch (e) {
    if (e instanceof ModelFormatError) return 'rejected';
    throw new Error(`readXnn threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
}

describe('mutation loop', () => {
  it('byte flips, truncations and splices give ModelFormatError or a valid model', () => {
    const r = rng(12345);
    const h = new DataView(good.buffer).getUint32(12, true);
    const counts = { ok: 0, rejected: 0 };
    for (let iter = 0; iter < 3000; iter++) {
      const b = good.slice();
      const kind = iter % 4;
      // Half of the flips land in the preamble and header, where parsing happens.
      const pos = () => Math.floor(r() < 0.5 ? r() * (16 + h) : r() * b.length);
      let mutated: Uint8Array = b;
      if (kind === 0) b[pos()] ^= 1 << Math.floor(r() * 8);
      else if (kind === 1) for (let k = 0; k < 1 + Math.floor(r() * 8); k++) b[pos()] = Math.floor(r() * 256);
      else if (kind === 2) mutated = b.subarray(0, Math.floor(r() * b.length));
      else {
        const at = pos();
        const len = Math.floor(r() * 16);
        mutated = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + len)]);
      }
      counts[outcome(mutated)]++;
    }
    expect(counts.rejected).toBeGreaterThan(2500);
  });

  it('structural header mutations give ModelFormatError or a valid model', () => {
    const r = rng(777);
    const { header, blob } = split(good);
    const values: unknown[] = [null, true, -1, 0, 1, 2.5, 1e300, 2 ** 53, '', 'x', 'data', 'c1.w', 'f32', 'b1', 'Relu', [], [1], [1, 2, 3, 4], {}, { a: 1 }];
    const counts = { ok: 0, rejected: 0 };
    for (let iter = 0; iter < 1500; iter++) {
      const h = structuredClone(header) as unknown as Record<string, unknown>;
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
        // Walk to a random container and replace or delete one of its entries.
        let cur: any = h;
        for (let depth = 0; depth < 6; depth++) {
          const keys = Object.keys(cur);
          if (keys.length === 0) break;
          const key = keys[Math.floor(r() * keys.length)];
          const next = cur[key];
          if (typeof next !== 'object' || next === null || r() < 0.25) {
            if (r() < 0.15) delete cur[key];
            else cur[key] = structuredClone(values[Math.floor(r() * values.length)]);
            break;
          }
          cur = next;
        }
      }
      counts[outcome(assemble(h, blob, { fixBlob: r() < 0.9 }))]++;
    }
    expect(counts.rejected).toBeGreaterThan(1000);
  });
});
