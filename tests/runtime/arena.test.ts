import { describe, expect, it } from 'vitest';
import { planArena, type Lifetime } from '../../src/runtime/arena.js';
import { mulberry32 as rng } from '../helpers/rng.js';


describe('planArena', () => {
  it('never lets two live values overlap (seeded random graphs)', () => {
    const r = rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const vals: Lifetime[] = [];
      const n = 1 + Math.floor(r() * 40);
      for (let i = 0; i < n; i++) {
        const first = Math.floor(r() * 30);
        vals.push({ bytes: 1 + Math.floor(r() * 5000), first, last: first + Math.floor(r() * 6) });
      }
      const { offsets, size } = planArena(vals);
      for (let i = 0; i < n; i++) {
        expect(offsets[i] % 64).toBe(0);
        expect(offsets[i] + vals[i].bytes).toBeLessThanOrEqual(size);
        for (let j = i + 1; j < n; j++) {
          const live = vals[i].first <= vals[j].last && vals[j].first <= vals[i].last;
          const disjoint = offsets[i] + vals[i].bytes <= offsets[j] || offsets[j] + vals[j].bytes <= offsets[i];
          if (live) expect(disjoint, `values ${i} and ${j}`).toBe(true);
        }
      }
    }
  });

  it('reuses memory along a chain', () => {
    const chain = Array.from({ length: 10 }, (_, i) => ({ bytes: 1000, first: i, last: i + 1 }));
    expect(planArena(chain).size).toBe(2 * 1024);
  });
});
