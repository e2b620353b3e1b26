// Static memory plan for activations: each value gets a fixed offset in one arena, chosen at load; two
// values share bytes only if their lifetimes (from the writing step to the last reading one) do not overlap.

export interface Lifetime {
  /** Bytes the value needs. */
  bytes: number;
  /** Step that produces it. */
  first: number;
  /** Last step that reads it (>= first). */
  last: number;
}

export interface ArenaPlan {
  /** Byte offset of each value, in the order given. */
  offsets: number[];
  /** Total arena size in bytes. */
  size: number;
}

export const ALIGN = 64;
const alignUp = (n: number, a = ALIGN) => Math.ceil(n / a) * a;

/**
 * Greedy by size (largest first), each value placed at the lowest offset that does not
 * collide with an already placed value whose lifetime overlaps. This is the strategy
 * TFLite's arena planner uses; on ResNet-style graphs it lands close to the peak of
 * simultaneously live bytes.
 */
export function planArena(values: readonly Lifetime[]): ArenaPlan {
  const order = values.map((_, i) => i).sort((a, b) => values[b].bytes - values[a].bytes || a - b);
  const offsets = new Array<number>(values.length).fill(0);
  const placed: number[] = [];
  let size = 0;
  for (const i of order) {
    const v = values[i];
    const need = alignUp(Math.max(v.bytes, 1));
    const clashes = placed
      .filter((j) => values[j].first <= v.last && v.first <= values[j].last)
      .map((j) => [offsets[j], offsets[j] + alignUp(Math.max(values[j].bytes, 1))] as const)
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [lo, hi] of clashes) {
      if (at + need <= lo) break;
      at = Math.max(at, hi);
    }
    offsets[i] = at;
    placed.push(i);
    size = Math.max(size, at + need);
  }
  return { offsets, size };
}
