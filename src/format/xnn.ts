// The `.xnn` file as types and constants; docs/FORMAT.md ("Layout") is its prose twin: magic,
// version, header length, the JSON header, then the 64-aligned blob of tensors.

import type { DType, OpName, TensorType } from '../ops/spec.js';
import type { ModelInfo } from '../types.js';

export const XNN_MAGIC = Uint8Array.of(0x89, 0x58, 0x4e, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a);
export const XNN_VERSION = 1;
/** Magic + version + header length. */
export const PREAMBLE_BYTES = 16;
/** Alignment of the blob's start and of every tensor offset. */
export const BLOB_ALIGN = 64;
export const alignUp = (n: number, a = BLOB_ALIGN) => Math.ceil(n / a) * a;

/** Limits the reader enforces before it allocates or infers anything big. */
export const LIMITS = {
  headerBytes: 64 << 20,
  elementsPerTensor: 2 ** 28,
  activationBytes: 2 ** 30,
  nodes: 100_000,
  tensors: 100_000,
  rank: 8,
} as const;

export interface XnnInput {
  name: string;
  dtype: 'f32';
  shape: number[];
}

export interface XnnNode {
  name: string;
  op: OpName;
  /** Value or tensor names; "" marks an absent optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, number | number[] | boolean | string>;
}

export interface XnnTensorEntry {
  dtype: DType;
  shape: number[];
  /** Bytes from the blob's start; a multiple of 64. */
  offset: number;
  /** Bytes: 4·elements for f32, packedBytes(shape) for b1. */
  length: number;
}

/** The JSON header, exactly as stored. */
export interface XnnHeader {
  metadata: ModelInfo;
  inputs: XnnInput[];
  outputs: string[];
  tensors: Record<string, XnnTensorEntry>;
  nodes: XnnNode[];
  blob: { length: number; crc32: number };
}

/** A constant tensor in memory: f32 values, or b1 bits packed per src/ops/bits.ts. */
export type XnnTensor =
  | { dtype: 'f32'; shape: number[]; data: Float32Array }
  | { dtype: 'b1'; shape: number[]; data: Uint8Array };

/** A model graph in memory: what converters build and what writeXnn stores. */
export interface XnnGraph {
  metadata: ModelInfo;
  inputs: XnnInput[];
  outputs: string[];
  nodes: XnnNode[];
  /** Insertion order is the order in the blob. */
  tensors: Map<string, XnnTensor>;
}

/** A validated graph: what readXnn and validateModel return, and what runtimes consume. */
export interface XnnModel extends XnnGraph {
  /** The nodes in a topological order (inputs before consumers). */
  order: XnnNode[];
  /** The inferred type of every value: graph inputs, tensors and node outputs. */
  types: Map<string, TensorType>;
  /** The f32 tensor `name`; throws ModelFormatError when absent or not f32. */
  f32(name: string): Float32Array;
  /** The packed bits of the b1 tensor `name`; throws ModelFormatError when absent or not b1. */
  b1(name: string): Uint8Array;
}
