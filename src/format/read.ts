// readXnn: bytes → validated model. Checks every byte-level and graph-level rule before it
// allocates anything in proportion to a claimed size; every failure is a ModelFormatError.

import { ModelFormatError } from '../errors.js';
import { type BlobCrc, crc32 } from './crc32.js';
import { type HeaderAhead, parseHeaderJson, tensorTypesOf } from './header-ahead.js';
import { checkHeader, checkTensorData, elementCount, makeModel, validateGraph } from './validate.js';
import { alignUp, LIMITS, PREAMBLE_BYTES, XNN_MAGIC, XNN_VERSION, type XnnModel, type XnnTensor } from './xnn.js';

export interface ReadOptions {
  /** Copy tensor data out of `bytes` instead of viewing it (default false). */
  copy?: boolean;
  /**
   * The blob's CRC-32 as computed while `bytes` arrived (fed exactly `bytes`, in order; loadModel
   * does this during the download). Without it, or when it was fed other lengths, readXnn
   * computes the CRC itself.
   */
  blobCrc?: BlobCrc;
  /**
   * The header and graph as checked while `bytes` arrived (loadModel); used only if it was fed
   * exactly `bytes`, else readXnn checks them itself.
   */
  ahead?: HeaderAhead;
}

const bad = (msg: string): never => {
  throw new ModelFormatError(msg);
};
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Reads and validates a `.xnn` file. Throws only ModelFormatError. */
export function readXnn(bytes: Uint8Array, opts: ReadOptions = {}): XnnModel {
  try {
    return read(bytes, opts);
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`unexpected error while reading the model: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function checkMagic(bytes: Uint8Array) {
  const n = Math.min(bytes.length, XNN_MAGIC.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] === XNN_MAGIC[i]) continue;
    let j = 0;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) j = 3; // UTF-8 BOM
    while (j < bytes.length && j < 4096 && (bytes[j] === 0x20 || (bytes[j] >= 0x09 && bytes[j] <= 0x0d))) j++;
    if (bytes[j] === 0x3c /* < */)
      bad(`not an .xnn file: this looks like an HTML page (byte ${j} is "<"); was the model URL wrong or redirected?`);
    const what = looksLike(bytes);
    bad(`not an .xnn file${what ? ` (it looks like ${what})` : ''}: bad magic at byte ${i} (file starts ${hex(bytes.subarray(0, 8))}, expected ${hex(XNN_MAGIC)})`);
  }
  if (bytes.length < PREAMBLE_BYTES) bad(`truncated file: ${bytes.length} bytes, the preamble alone needs ${PREAMBLE_BYTES}`);
}

function read(bytes: Uint8Array, opts: ReadOptions): XnnModel {
  if (!(bytes instanceof Uint8Array)) bad('readXnn expects a Uint8Array');
  checkMagic(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== XNN_VERSION) bad(`unsupported .xnn version ${version} at byte 8 (this reader knows version ${XNN_VERSION})`);
  const h = dv.getUint32(12, true);
  if (h > LIMITS.headerBytes) bad(`header length ${h} at byte 12 exceeds the limit of ${LIMITS.headerBytes} bytes`);
  if (PREAMBLE_BYTES + h > bytes.length)
    bad(`truncated file: header length ${h} at byte 12 runs to byte ${PREAMBLE_BYTES + h}, the file has ${bytes.length} bytes`);

  // Checked ahead, the header passed every check below that reads it (JSON, checkHeader,
  // validateGraph): only the padding and the blob's own checks are left.
  const pre = opts.ahead?.resultFor(bytes);
  let json: unknown;
  if (!pre)
    try {
      json = parseHeaderJson(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + h));
    } catch (e) {
      bad(`header at bytes ${PREAMBLE_BYTES}..${PREAMBLE_BYTES + h} is not valid UTF-8 JSON: ${(e as Error).message}`);
    }

  const blobStart = alignUp(PREAMBLE_BYTES + h);
  if (blobStart > bytes.length) bad(`truncated file: the blob should start at byte ${blobStart}, the file has ${bytes.length} bytes`);
  for (let i = PREAMBLE_BYTES + h; i < blobStart; i++) if (bytes[i] !== 0) bad(`padding byte at offset ${i} is not zero`);

  const header = pre?.header ?? checkHeader(json, bytes.length - blobStart, blobStart);
  const blob = bytes.subarray(blobStart);
  const crc = opts.blobCrc?.blobCrc32(bytes.length, blobStart) ?? crc32(blob);
  if (crc !== header.blob.crc32)
    bad(`blob CRC-32 mismatch over bytes ${blobStart}..${bytes.length}: header says ${header.blob.crc32}, data gives ${crc}`);

  const tensors = new Map<string, XnnTensor>();
  for (const [name, e] of Object.entries(header.tensors)) {
    const at = bytes.byteOffset + blobStart + e.offset;
    let t: XnnTensor;
    if (e.dtype === 'f32') {
      const n = elementCount(e.shape);
      const data =
        !opts.copy && LITTLE_ENDIAN && at % 4 === 0
          ? new Float32Array(bytes.buffer, at, n)
          : Float32Array.from({ length: n }, (_, i) => dv.getFloat32(blobStart + e.offset + 4 * i, true));
      t = { dtype: 'f32', shape: e.shape, data };
    } else {
      const raw = blob.subarray(e.offset, e.offset + e.length);
      t = { dtype: 'b1', shape: e.shape, data: opts.copy ? raw.slice() : raw };
    }
    checkTensorData(name, t, pre?.finite.has(name));
    tensors.set(name, t);
  }

  const graph = { metadata: header.metadata, inputs: header.inputs, outputs: header.outputs, nodes: header.nodes, tensors };
  const { order, types } = pre ?? validateGraph(graph, tensorTypesOf(header));
  return makeModel(graph, order, types);
}

/** What a non-.xnn file probably is, for the error message (a user dropped the wrong file). */
function looksLike(b: Uint8Array): string | null {
  const starts = (...m: number[]) => m.every((x, k) => b[k] === x);
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'a GIF image';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a ZIP archive';
  if (b[0] === 0x08 && b[1] > 0 && b[1] < 16 && b[2] === 0x12) return 'an ONNX model (convert it with `xnor-web convert`)';
  const head = b.subarray(0, 64);
  if (head.length > 0 && head.every((x) => x === 0x09 || x === 0x0a || x === 0x0d || (x >= 0x20 && x < 0x7f))) return 'a text file';
  return null;
}
