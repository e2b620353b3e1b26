// loadModel's cold-start path: the model is checksummed as it downloads (BlobCrc), its header
// checked (HeaderAhead) and the WASM kernels start meanwhile; none may weaken a check or reorder
// the errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobCrc, crc32 } from '../../src/format/crc32.js';
import { readXnn } from '../../src/format/read.js';
import { PREAMBLE_BYTES, alignUp } from '../../src/format/xnn.js';
import { ModelFormatError, WasmLoadError, loadModel } from '../../src/index.js';
import { readModelBytes } from '../../src/runtime/fetch-model.js';
import { openModel } from '../../src/runtime/model.js';
import { tinyModelBytes } from '../cli/tiny-model.js';
import { type PiecesServer, piecesServer } from '../helpers/pieces-server.js';

const bytes = tinyModelBytes();
const blobStart = alignUp(PREAMBLE_BYTES + new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true));
const corrupt = bytes.slice();
corrupt[corrupt.length - 5] ^= 0x10; // a weight bit: the header is intact, the CRC is not

function feedInPieces(data: Uint8Array, sizes: number[]): BlobCrc {
  const c = new BlobCrc();
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length];
    c.feed(data.subarray(at, at + n));
    at += n;
  }
  return c;
}

describe('BlobCrc', () => {
  it('gives the blob CRC however the file is cut (the preamble and the blob start split too)', () => {
    const want = crc32(bytes.subarray(blobStart));
    for (const sizes of [[1], [3, 5], [7, 64, 1], [15, 1, 2], [blobStart - 1, 2], [blobStart, 100], [bytes.length]])
      expect(feedInPieces(bytes, sizes).blobCrc32(bytes.length, blobStart), `pieces ${sizes}`).toBe(want);
  });

  it('answers only for the length it was fed and the blob start the header gives', () => {
    const c = feedInPieces(bytes.subarray(0, bytes.length - 1), [100]);
    expect(c.blobCrc32(bytes.length, blobStart)).toBeUndefined();
    expect(feedInPieces(bytes, [100]).blobCrc32(bytes.length, blobStart + 64)).toBeUndefined();
  });

  it('readXnn still finds a corrupt blob with it, and computes the CRC itself when it does not fit', () => {
    expect(() => readXnn(corrupt, { blobCrc: feedInPieces(corrupt, [33]) })).toThrow(/blob CRC-32 mismatch/);
    expect(() => readXnn(corrupt, { blobCrc: feedInPieces(bytes.subarray(0, 100), [33]) })).toThrow(/blob CRC-32 mismatch/);
    expect(readXnn(bytes, { blobCrc: feedInPieces(bytes, [33]) }).metadata.name).toBe('tiny-test');
  });
});

describe('loadModel over a slow, chunked download', () => {
  let site: PiecesServer;
  let base: string;
  beforeAll(async () => {
    // with Content-Length (pieces written into place) and without (chunked: pieces joined)
    site = await piecesServer((path) => (path.endsWith('/missing.xnn') ? null : path.startsWith('/corrupt') ? corrupt : bytes), {
      piece: 97,
      sized: (path) => path.includes('sized'),
    });
    base = site.base;
  });
  afterAll(() => site.close());

  it('readModelBytes hands out pieces that make up the bytes it returns', async () => {
    for (const path of ['/sized/model.xnn', '/chunked/model.xnn']) {
      const pieces: Uint8Array[] = [];
      const got = await readModelBytes(`${base}${path}`, { onChunk: (c) => pieces.push(c.slice()) });
      expect(pieces.length, path).toBeGreaterThan(1);
      expect(Buffer.concat(pieces).equals(Buffer.from(bytes)), path).toBe(true);
      expect(Buffer.from(got.bytes).equals(Buffer.from(bytes)), path).toBe(true);
    }
  });

  it('with a known length, hands out views of the returned bytes in place (HeaderAhead scans them there)', async () => {
    const views: Uint8Array[] = [];
    const got = await readModelBytes(`${base}/sized/model.xnn`, { onChunk: (c) => views.push(c) });
    let at = 0;
    for (const v of views) {
      expect(v.buffer).toBe(got.bytes.buffer);
      expect(v.byteOffset).toBe(got.bytes.byteOffset + at);
      at += v.length;
    }
    expect(at).toBe(bytes.length);
  });

  it('loads the model and runs it the same as from bytes', async () => {
    const x = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.cos(i));
    const want = (await (await loadModel(bytes)).run(x)).data;
    for (const path of ['/sized/model.xnn', '/chunked/model.xnn']) {
      const m = await loadModel(`${base}${path}`);
      expect((await m.run(x)).data).toEqual(want);
      m.dispose();
    }
  });

  it('still rejects a corrupt blob (the CRC is checked on the streamed bytes), planned ahead or not', async () => {
    for (const planAhead of [false, true])
      for (const path of ['/corrupt/sized.xnn', '/corrupt/chunked.xnn']) {
        const p = openModel(`${base}${path}`, { wasm: { planAhead } });
        await expect(p).rejects.toThrow(ModelFormatError);
        await expect(openModel(`${base}${path}`, { wasm: { planAhead } })).rejects.toThrow(/blob CRC-32 mismatch/);
      }
  });

  it('reports the download error before a failed WASM start, and the WASM error after a good download', async () => {
    const wasm = { url: new Uint8Array([1, 2, 3, 4]) };
    await expect(loadModel(`${base}/missing.xnn`, { wasm })).rejects.toThrow(/HTTP 404/);
    await expect(loadModel(`${base}/corrupt/sized.xnn`, { wasm })).rejects.toThrow(/blob CRC-32 mismatch/);
    await expect(loadModel(`${base}/sized/model.xnn`, { wasm })).rejects.toThrow(WasmLoadError);
  });
});
