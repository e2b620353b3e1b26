import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/format/crc32.js';

/** The textbook bit-at-a-time CRC-32: the spec the table-driven one must match. */
function crc32Bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32 word path', () => {
  const buf = new Uint8Array(1200);
  let s = 12345;
  for (let i = 0; i < buf.length; i++) buf[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;

  it('equals the bitwise CRC at every start alignment and many lengths', () => {
    for (let off = 0; off < 8; off++)
      for (const len of [0, 1, 7, 8, 63, 64, 65, 67, 71, 72, 100, 511, 512, 1001, buf.length - off]) {
        const v = buf.subarray(off, off + len);
        expect(crc32(v), `offset ${off}, length ${len}`).toBe(crc32Bitwise(v));
      }
  });

  it('continues across chunk boundaries that split words', () => {
    const whole = crc32Bitwise(buf);
    for (const cut of [1, 3, 64, 65, 66, 67, 600, 1137]) expect(crc32(buf.subarray(cut), crc32(buf.subarray(0, cut)))).toBe(whole);
  });

  it('reads views into larger and shared buffers', () => {
    const sab = new Uint8Array(new SharedArrayBuffer(buf.length + 5), 5);
    sab.set(buf);
    expect(crc32(sab)).toBe(crc32Bitwise(buf));
  });
});
