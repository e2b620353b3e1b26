// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG), slice-by-8 reading
// two little-endian 32-bit words per step: every model load checks the whole blob.

import { PREAMBLE_BYTES, alignUp } from './xnn.js';

// Int32Array, not Uint32Array: values stay small integers for V8 (no heap numbers).
const TABLES: Int32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s][n] = (t[s - 1][n] >>> 8) ^ t[0][t[s - 1][n] & 0xff];
  }
  return t;
})();

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

// Eight 256-entry tables; two 32-bit loads per 8 bytes instead of eight byte loads
// (bench/results/code-notes.md: measured against the byte loop and slice-by-16).
/** CRC-32 of `bytes`; pass a previous result as `crc` to continue over several chunks. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let c = ~crc;
  let i = 0;
  const n = bytes.length;
  if (LITTLE_ENDIAN && n >= 64) {
    // bytes up to a 4-byte boundary, then 32-bit words (a word's low byte is the first byte)
    for (; (bytes.byteOffset + i) & 3; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, ((n - i) >>> 3) << 1);
    for (let j = 0; j < words.length; j += 2) {
      const a = c ^ words[j];
      const b = words[j + 1];
      c =
        t7[a & 0xff] ^
        t6[(a >>> 8) & 0xff] ^
        t5[(a >>> 16) & 0xff] ^
        t4[a >>> 24] ^
        t3[b & 0xff] ^
        t2[(b >>> 8) & 0xff] ^
        t1[(b >>> 16) & 0xff] ^
        t0[b >>> 24];
    }
    i += words.length << 2;
  }
  for (; i + 8 <= n; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[bytes[i + 4]] ^
      t2[bytes[i + 5]] ^
      t1[bytes[i + 6]] ^
      t0[bytes[i + 7]];
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * The CRC-32 of an .xnn file's blob, computed piece by piece while the file arrives, so that a
 * download hides it (loadModel). readXnn takes it only for as many bytes as it was fed.
 */
export class BlobCrc {
  #fed = 0;
  #preamble = new Uint8Array(PREAMBLE_BYTES);
  /** File offset of the blob (from the header length at bytes 12..15); -1 until those arrive. */
  #blobStart = -1;
  #crc = 0;

  /** Feeds the file's next bytes, in order. */
  feed(chunk: Uint8Array): void {
    const at = this.#fed;
    this.#fed += chunk.length;
    if (this.#blobStart < 0) {
      if (at < PREAMBLE_BYTES) this.#preamble.set(chunk.subarray(0, PREAMBLE_BYTES - at), at);
      if (this.#fed < PREAMBLE_BYTES) return;
      this.#blobStart = alignUp(PREAMBLE_BYTES + new DataView(this.#preamble.buffer).getUint32(12, true));
    }
    const from = Math.max(0, this.#blobStart - at);
    if (from < chunk.length) this.#crc = crc32(chunk.subarray(from), this.#crc);
  }

  /** The CRC-32 of bytes blobStart..length, if exactly `length` bytes were fed; else undefined. */
  blobCrc32(length: number, blobStart: number): number | undefined {
    return this.#fed === length && this.#blobStart === blobStart ? this.#crc : undefined;
  }
}
