// Packing b1 tensors in TypeScript, per the bit convention written once in docs/KERNELS.md
// "Bit convention" (the kernels follow the same one).

export const WORD_BITS = 64;
export const WORD_BYTES = 8;

export const wordsPerRow = (c: number) => Math.ceil(c / WORD_BITS);

/** Bytes a b1 tensor of this logical shape occupies. */
export function packedBytes(shape: readonly number[]): number {
  if (shape.length === 0) return WORD_BYTES;
  const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
  return rows * wordsPerRow(shape[shape.length - 1]) * WORD_BYTES;
}

/** Packs ±1 (any x >= 0 counts as +1) values of shape [..., C] into the convention. */
export function packBits(values: ArrayLike<number>, shape: readonly number[]): Uint8Array {
  const c = shape[shape.length - 1];
  const rowBytes = wordsPerRow(c) * WORD_BYTES;
  const rows = c === 0 ? 0 : values.length / c;
  const out = new Uint8Array(packedBytes(shape));
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < c; i++) {
      if (!(values[r * c + i] >= 0)) out[r * rowBytes + (i >> 3)] |= 1 << (i & 7);
    }
  }
  return out;
}

/** Unpacks to ±1 floats. */
export function unpackBits(bytes: Uint8Array, shape: readonly number[]): Float32Array {
  const c = shape[shape.length - 1];
  const rowBytes = wordsPerRow(c) * WORD_BYTES;
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const r = Math.floor(k / c);
    const i = k - r * c;
    out[k] = (bytes[r * rowBytes + (i >> 3)] >> (i & 7)) & 1 ? -1 : 1;
  }
  return out;
}

/** True when every padding bit (c >= C) of every row is 0, as the convention requires. */
export function paddingBitsClear(bytes: Uint8Array, shape: readonly number[]): boolean {
  const c = shape[shape.length - 1];
  const words = wordsPerRow(c);
  const rowBytes = words * WORD_BYTES;
  const rows = bytes.length / rowBytes;
  for (let r = 0; r < rows; r++) {
    for (let i = c; i < words * WORD_BITS; i++) {
      if ((bytes[r * rowBytes + (i >> 3)] >> (i & 7)) & 1) return false;
    }
  }
  return true;
}
