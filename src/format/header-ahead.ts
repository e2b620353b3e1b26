// The .xnn header and graph validated while the blob is still downloading: the header is the
// file's first bytes, so loadModel's wait for the weights hides the JSON parse, checkHeader and
// validateGraph, and each f32 tensor's finiteness scan once its bytes are in. readXnn takes the
// results only for the very bytes they were computed on.

import type { TensorType } from '../ops/spec.js';
import { allFinite, checkHeader, makeModel, validateGraph } from './validate.js';
import {
  LIMITS, PREAMBLE_BYTES, XNN_MAGIC, XNN_VERSION, alignUp, type XnnHeader, type XnnModel, type XnnNode, type XnnTensor,
} from './xnn.js';

/** What readXnn would compute from the header of a file of `total` bytes. */
export interface CheckedHeader {
  header: XnnHeader;
  order: XnnNode[];
  types: Map<string, TensorType>;
  /** f32 tensors whose values were all found finite, in the bytes readXnn is given. */
  finite: ReadonlySet<string>;
}

/** The parsed JSON header (no checks past UTF-8 and JSON syntax); throws on either. */
export const parseHeaderJson = (head: Uint8Array): unknown => JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head));

/** Each tensor's type, from a checked header's table (in its order). */
export function tensorTypesOf(header: XnnHeader): Map<string, TensorType> {
  const types = new Map<string, TensorType>();
  for (const [name, e] of Object.entries(header.tensors)) types.set(name, { dtype: e.dtype, shape: [...e.shape] });
  return types;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

interface Span {
  name: string;
  dtype: 'f32' | 'b1';
  shape: number[];
  /** File offsets: a multiple of 4 (64-aligned blob and offsets). */
  start: number;
  end: number;
}

/**
 * Fed a file's bytes in order, with the file's length known up front (Content-Length), checks
 * its header and graph as soon as the header has arrived. Any failure is dropped, not thrown:
 * readXnn then reads the file the ordinary way and reports the first error in its usual order.
 * When the pieces are views of one buffer at their file offsets (readModelBytes with a known
 * length), each f32 tensor is scanned for non-finite values as soon as it is complete.
 */
export class HeaderAhead {
  readonly #total: number;
  #fed = 0;
  /** The preamble and JSON header as they arrive; null once checked (or given up). */
  #head: Uint8Array | null = new Uint8Array(PREAMBLE_BYTES);
  #checked: (Omit<CheckedHeader, 'finite'> & { head: Uint8Array }) | null = null;
  /** The buffer every piece so far was a view of, at its file offset; null when one was not. */
  #buffer: ArrayBufferLike | null | undefined;
  #spans: Span[] = [];
  #nextSpan = 0;
  #finite = new Set<string>();
  /** The tensors whose bytes are all in (in place), as readXnn would view them. */
  #arrived = new Map<string, XnnTensor>();
  #partial: XnnModel | undefined;

  constructor(total: number) {
    this.#total = total;
  }

  /** Feeds the file's next bytes, in order. */
  feed(chunk: Uint8Array): void {
    const at = this.#fed;
    this.#fed += chunk.length;
    if (this.#buffer === undefined) this.#buffer = chunk.buffer;
    if (chunk.buffer !== this.#buffer || chunk.byteOffset !== at) this.#buffer = null;
    let head = this.#head;
    if (head) {
      if (at < head.length) head.set(chunk.subarray(0, head.length - at), at);
      if (this.#fed < head.length) return;
      if (head.length === PREAMBLE_BYTES) {
        const h = new DataView(head.buffer).getUint32(12, true);
        if (h > LIMITS.headerBytes || PREAMBLE_BYTES + h > this.#total) return void (this.#head = null);
        const whole = new Uint8Array(PREAMBLE_BYTES + h);
        whole.set(head);
        this.#head = head = whole;
        if (at + chunk.length > PREAMBLE_BYTES) whole.set(chunk.subarray(PREAMBLE_BYTES - at, head.length - at), PREAMBLE_BYTES);
        if (this.#fed < head.length) return;
      }
      this.#head = null;
      this.#checked = check(head, this.#total);
      if (this.#checked) this.#spans = spansOf(this.#checked.header, alignUp(head.length));
    }
    this.#scanComplete();
  }

  /** Scans the f32 tensors whose bytes have all arrived (in place only). */
  #scanComplete(): void {
    const buf = this.#buffer;
    if (!buf || !LITTLE_ENDIAN) return;
    for (; this.#nextSpan < this.#spans.length && this.#spans[this.#nextSpan].end <= this.#fed; this.#nextSpan++) {
      const { name, dtype, shape, start, end } = this.#spans[this.#nextSpan];
      if (dtype === 'b1') {
        this.#arrived.set(name, { dtype, shape, data: new Uint8Array(buf, start, end - start) });
        continue;
      }
      const data = new Float32Array(buf, start, (end - start) >> 2);
      if (allFinite(data)) this.#finite.add(name);
      this.#arrived.set(name, { dtype, shape, data });
    }
  }

  /**
   * The checked graph with the tensors that have arrived so far (unchecked values; the map
   * grows as more arrive), for planning ahead (StartedBackend.planAhead); undefined when the
   * header is not checked or the pieces are not in place.
   */
  partialModel(): XnnModel | undefined {
    const c = this.#checked;
    if (!c || !this.#buffer || !LITTLE_ENDIAN) return undefined;
    const { metadata, inputs, outputs, nodes } = c.header;
    this.#partial ??= makeModel({ metadata, inputs, outputs, nodes, tensors: this.#arrived }, c.order, c.types);
    return this.#partial;
  }

  /** The checked header, if it was checked on exactly `bytes` (every byte fed, header equal). */
  resultFor(bytes: Uint8Array): CheckedHeader | undefined {
    const c = this.#checked;
    if (!c || this.#fed !== bytes.length || bytes.length !== this.#total || bytes.length < c.head.length) return undefined;
    for (let i = 0; i < c.head.length; i++) if (bytes[i] !== c.head[i]) return undefined;
    // the scans read these very bytes only if every piece was a view of `bytes` in place
    const inPlace = this.#buffer === bytes.buffer && bytes.byteOffset === 0;
    return { header: c.header, order: c.order, types: c.types, finite: inPlace ? this.#finite : new Set() };
  }
}

function check(head: Uint8Array, total: number): (Omit<CheckedHeader, 'finite'> & { head: Uint8Array }) | null {
  try {
    for (let i = 0; i < XNN_MAGIC.length; i++) if (head[i] !== XNN_MAGIC[i]) return null;
    if (new DataView(head.buffer).getUint32(8, true) !== XNN_VERSION) return null;
    const blobStart = alignUp(head.length);
    if (blobStart > total) return null;
    const header = checkHeader(parseHeaderJson(head.subarray(PREAMBLE_BYTES)), total - blobStart, blobStart);
    const { order, types } = validateGraph(header, tensorTypesOf(header));
    return { head, header, order, types };
  } catch {
    return null;
  }
}

/** The tensors' byte ranges in the file, in file order. */
function spansOf(header: XnnHeader, blobStart: number): Span[] {
  const spans = Object.entries(header.tensors).map(([name, e]) => ({
    name, dtype: e.dtype, shape: e.shape, start: blobStart + e.offset, end: blobStart + e.offset + e.length,
  }));
  return spans.sort((a, b) => a.start - b.start);
}
