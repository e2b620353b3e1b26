// The fuzzing engine shared by `npm run fuzz` (scripts/fuzz.ts) and tests/fuzz/fuzz.test.ts.
// Each case is a pure function of (seed, index): it picks a target (a .xnn model, a BMXNet
// params/symbol pair, an ONNX file), a mutation kind, mutates, and feeds the result to the
// parser. `.xnn` files that still load get a WASM backend and one inference on a zero input.
// The only acceptable failures are the documented error classes; anything else is a crash.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertBmxnet, type BmxnetPreset } from '../../src/convert/bmxnet.js';
import { convertOnnx } from '../../src/convert/onnx.js';
import { decodeModel, encodeModel } from '../../src/convert/onnx/proto.js';
import { ConvertError, ModelFormatError, UnsupportedOpError } from '../../src/errors.js';
import { crc32 } from '../../src/format/crc32.js';
import { readXnn } from '../../src/format/read.js';
import { byteSize } from '../../src/format/validate.js';
import { PREAMBLE_BYTES, alignUp, type XnnHeader, type XnnModel } from '../../src/format/xnn.js';
import { createBackend } from '../../src/runtime/backend.js';
import { Model } from '../../src/runtime/model.js';
import type { WasmBackend } from '../../src/runtime/wasm-backend.js';
import { OPS, resolveAttrs, type OpDecl, type TensorType } from '../../src/ops/spec.js';
import { REPO_ROOT, SHARED_DIR } from '../helpers/shared.js';
import { assemble, rng } from '../helpers/tiny-model.js';
import { binaryWeights, model as onnxModel, node as onnxNode, tensor as onnxTensor } from '../fixtures/onnx-build.js';

export type Target = 'xnn' | 'bmxnet' | 'onnx';

export const XNN_KINDS = [
  'bitflip', 'insert', 'delete', 'truncate', 'blob', 'blob-crc',
  'dtype', 'shape', 'offset', 'dangling', 'cycle', 'unknown-op', 'attr-type', 'json-random',
] as const;
export const BMXNET_KINDS = ['params-bitflip', 'params-insert', 'params-delete', 'params-truncate', 'params-field', 'symbol-text', 'symbol-json'] as const;
export const ONNX_KINDS = ['onnx-bitflip', 'onnx-insert', 'onnx-delete', 'onnx-truncate', 'onnx-proto'] as const;
export type Kind = (typeof XNN_KINDS)[number] | (typeof BMXNET_KINDS)[number] | (typeof ONNX_KINDS)[number];
export const ALL_KINDS: readonly Kind[] = [...XNN_KINDS, ...BMXNET_KINDS, ...ONNX_KINDS];

interface XnnSeed { name: string; bytes: Uint8Array; header: XnnHeader; blob: Uint8Array; weight: number }
interface BmxSeed { name: string; symbol: string; params: Uint8Array; preset: BmxnetPreset; weight: number }
interface OnnxSeed { name: string; bytes: Uint8Array; weight: number }

export interface Corpus {
  xnn: XnnSeed[];
  bmxnet: BmxSeed[];
  onnx: OnnxSeed[];
  wasm: WebAssembly.Module;
}

export interface CorpusOptions {
  /** Skip files larger than this (bytes); CI keeps it small. Default: no limit beyond 8 MB. */
  maxBytes?: number;
}

/** Loads every seed file that exists; weights favour small files (cheap cases). */
export async function loadCorpus(opts: CorpusOptions = {}): Promise<Corpus> {
  const max = opts.maxBytes ?? 8 << 20;
  const w = (n: number) => (n <= 300_000 ? 10 : n <= 2_500_000 ? 1 : 0.3);
  const xnn: XnnSeed[] = [];
  for (const dir of ['models', 'models/build']) {
    const d = join(REPO_ROOT, dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).filter((f) => f.endsWith('.xnn')).sort()) {
      const bytes = new Uint8Array(readFileSync(join(d, f)));
      if (bytes.length > max) continue;
      const h = new DataView(bytes.buffer).getUint32(12, true);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + h)));
      xnn.push({ name: `${dir}/${f}`, bytes, header, blob: bytes.slice(alignUp(PREAMBLE_BYTES + h)), weight: w(bytes.length) });
    }
  }
  const bmxnet: BmxSeed[] = [];
  const bdir = join(SHARED_DIR, 'models/bmxnet');
  const pairs: [string, string, BmxnetPreset][] = [
    ['binarized_mnist_64bit-symbol.json', 'binarized_mnist_64bit-0001.params', 'mnist'],
    ['binarized_cifar10-resnet18-64bit-symbol.json', 'binarized_cifar10-resnet18-64bit-0000.params', 'cifar10'],
  ];
  for (const [s, p, preset] of pairs) {
    if (!existsSync(join(bdir, s)) || !existsSync(join(bdir, p))) continue;
    const params = new Uint8Array(readFileSync(join(bdir, p)));
    if (params.length > max) continue;
    bmxnet.push({ name: p, symbol: readFileSync(join(bdir, s), 'utf8'), params, preset, weight: w(params.length) });
  }
  const onnx: OnnxSeed[] = [{ name: 'generated:bwn-conv', bytes: generatedOnnx(), weight: 10 }];
  const odir = process.env.XNOR_ONNX_CACHE ?? join(REPO_ROOT, 'tests/.cache/onnx');
  for (const f of ['bwn_conv.onnx', 'xnor_conv.onnx', 'bwn_linear.onnx', 'xnor_linear.onnx']) {
    const p = join(odir, f);
    if (existsSync(p)) onnx.push({ name: `tests/.cache/onnx/${f}`, bytes: new Uint8Array(readFileSync(p)), weight: 5 });
  }
  const wasm = await WebAssembly.compile(readFileSync(join(REPO_ROOT, 'src/wasm/xnor.wasm')));
  return { xnn, bmxnet, onnx, wasm };
}

/** A small valid ONNX: Conv(±α weights, BWN) → Relu → GlobalAveragePool → Flatten → Gemm. */
function generatedOnnx(): Uint8Array {
  return onnxModel({
    inputDims: ['N', 3, 8, 8],
    output: 'out',
    inits: [
      onnxTensor('w', [4, 3, 3, 3], binaryWeights(4, 27, 3)),
      onnxTensor('fw', [5, 4], Float32Array.from({ length: 20 }, (_, i) => Math.sin(i))),
      onnxTensor('fb', [5], [0.1, -0.2, 0.3, 0, 0.5]),
    ],
    nodes: [
      onnxNode('Conv', ['input', 'w'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      onnxNode('Relu', ['c'], ['r']),
      onnxNode('GlobalAveragePool', ['r'], ['g']),
      onnxNode('Flatten', ['g'], ['f']),
      onnxNode('Gemm', ['f', 'fw', 'fb'], ['out'], { transB: 1 }),
    ],
  });
}

export interface CaseResult {
  index: number;
  target: Target;
  kind: Kind;
  file: string;
  /** 'ok' = accepted (and, for .xnn, ran); 'rejected' = a documented error; 'crash' = anything else. */
  outcome: 'ok' | 'rejected' | 'crash';
  errorName?: string;
  message?: string;
  stage?: string;
  bytes: number;
  /** .xnn cases that loaded: WASM memory after the run, and what the header justifies. */
  wasmBytes?: number;
  wasmBound?: number;
}

/** A 32-bit seed for case `index` of run `seed`. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

type R = () => number;
const int = (r: R, n: number) => Math.floor(r() * n);
const pick = <T>(r: R, xs: readonly T[]): T => xs[int(r, xs.length)];
function pickWeighted<T extends { weight: number }>(r: R, xs: T[]): T {
  const total = xs.reduce((s, x) => s + x.weight, 0);
  let t = r() * total;
  for (const x of xs) if ((t -= x.weight) < 0) return x;
  return xs[xs.length - 1];
}

// ---- byte-level mutations ---------------------------------------------------------------

function bitflip(r: R, b: Uint8Array, hotEnd: number): Uint8Array {
  const out = b.slice();
  for (let k = 1 + int(r, 8); k > 0; k--) {
    const at = r() < 0.6 ? int(r, Math.min(hotEnd, out.length)) : int(r, out.length);
    if (r() < 0.7) out[at] ^= 1 << int(r, 8);
    else out[at] = pick(r, [0, 0xff, 0x7f, 0x80, int(r, 256)]);
  }
  return out;
}
function insert(r: R, b: Uint8Array, hotEnd: number): Uint8Array {
  const at = r() < 0.6 ? int(r, Math.min(hotEnd, b.length) + 1) : int(r, b.length + 1);
  const n = 1 + int(r, r() < 0.8 ? 16 : 512);
  const ins = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 0 : int(r, 256)));
  const out = new Uint8Array(b.length + n);
  out.set(b.subarray(0, at));
  out.set(ins, at);
  out.set(b.subarray(at), at + n);
  return out;
}
function del(r: R, b: Uint8Array, hotEnd: number): Uint8Array {
  const at = r() < 0.6 ? int(r, Math.min(hotEnd, b.length)) : int(r, b.length);
  const n = 1 + int(r, r() < 0.8 ? 16 : 512);
  const out = new Uint8Array(b.length - Math.min(n, b.length - at));
  out.set(b.subarray(0, at));
  out.set(b.subarray(at + n), at);
  return out;
}
const truncate = (r: R, b: Uint8Array, hotEnd: number) => b.slice(0, r() < 0.5 ? int(r, Math.min(hotEnd, b.length)) : int(r, b.length));

// ---- .xnn header mutations (always valid JSON; the blob and its CRC stay intact) ----------

const INTERESTING = [0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, 0.5, -0.0, 65536, 1 << 20, 1e9];
const junkValues = (r: R): unknown => pick(r, [null, true, false, -1, 0, 1, 2.5, 1e300, 2 ** 53, '', 'x', 'f32', 'b1', 'f16', [], [1], [1, 2, 3, 4], [-1, 0], {}, { a: 1 }, 'Relu']);

function mutateHeader(r: R, kind: Kind, h: any): void {
  const tnames = Object.keys(h.tensors);
  const nodes: any[] = h.nodes;
  const anyNode = () => pick(r, nodes);
  switch (kind) {
    case 'dtype': {
      const v = pick(r, ['b1', 'f32', 'f16', 'i8', 'F32', '', 1, null, ['f32']]);
      if (r() < 0.15) h.inputs[0].dtype = v;
      else {
        const t = h.tensors[pick(r, tnames)];
        t.dtype = t.dtype === 'f32' && r() < 0.6 ? 'b1' : t.dtype === 'b1' && r() < 0.6 ? 'f32' : v;
      }
      return;
    }
    case 'shape': {
      const which = int(r, 4);
      const shape: number[] =
        which === 0 ? h.inputs[0].shape : which === 1 ? h.metadata.input.shape : h.tensors[pick(r, tnames)].shape;
      const op = int(r, 5);
      if (op === 0) shape[int(r, shape.length)] = pick(r, INTERESTING);
      else if (op === 1) shape.push(pick(r, [1, 2, 3, 1 << 16]));
      else if (op === 2) shape.pop();
      else if (op === 3) for (let i = 0; i < shape.length; i++) shape[i] = pick(r, [1 << 14, 1 << 16, 46341, 3]);
      else {
        const i = int(r, shape.length);
        shape[i] = shape[i] * 2;
        if (which === 0) h.metadata.input.shape[i] = shape[i]; // keep input and metadata agreeing
      }
      return;
    }
    case 'offset': {
      const t = h.tensors[pick(r, tnames)];
      const other = h.tensors[pick(r, tnames)];
      const op = int(r, 6);
      if (op === 0) t.offset = pick(r, [-64, -1, -(2 ** 53)]);
      else if (op === 1) t.offset = other.offset; // overlap
      else if (op === 2) t.offset = other.offset + 64 * int(r, 4); // partial overlap
      else if (op === 3) t.offset = h.blob.length + pick(r, [0, 64, -64]);
      else if (op === 4) t.length = pick(r, [0, t.length + 64, t.length - 4, 2 ** 53, -4]);
      else t.offset = t.offset + pick(r, [1, 4, 32, 2 ** 32]);
      return;
    }
    case 'dangling': {
      const op = int(r, 4);
      if (op === 0) {
        const n = anyNode();
        n.inputs[int(r, n.inputs.length)] = pick(r, ['nope', '', 'data ', tnames[0] + 'x']);
      } else if (op === 1) h.outputs[0] = pick(r, ['nope', '', tnames[0], h.inputs[0].name]);
      else if (op === 2) delete h.tensors[pick(r, tnames)];
      else anyNode().outputs[0] = anyNode().outputs[0]; // duplicate producer
      return;
    }
    case 'cycle': {
      if (nodes.length < 2) return;
      const i = int(r, nodes.length - 1);
      const j = i + int(r, nodes.length - i);
      const a = nodes[i];
      // a node of index i reads the output of a later (or the same) node
      const slot = a.inputs.findIndex((x: string) => !h.tensors[x]);
      a.inputs[slot < 0 ? 0 : slot] = nodes[j].outputs[0];
      if (r() < 0.3) nodes.reverse();
      return;
    }
    case 'unknown-op': {
      const n = anyNode();
      n.op = r() < 0.5 ? pick(r, ['Conv', 'conv2d', 'Relu', 'LRN', '', 'constructor', '__proto__', 'toString', 123, null]) : pick(r, Object.keys(OPS));
      return;
    }
    case 'attr-type': {
      const n = anyNode();
      const keys = Object.keys(n.attrs ?? {});
      const pool = ['strides', 'pads', 'kernel', 'dilations', 'activation', 'padValue', 'axis', 'epsilon', 'group', 'unknownAttr'];
      const key = keys.length && r() < 0.6 ? pick(r, keys) : pick(r, pool);
      if (n.attrs === null || typeof n.attrs !== 'object') n.attrs = {};
      const cur = n.attrs[key];
      const v = pick(r, [
        () => (Array.isArray(cur) ? cur.map(String) : String(cur)),
        () => (Array.isArray(cur) ? cur[0] : [cur]),
        () => (Array.isArray(cur) ? cur.map(() => pick(r, INTERESTING)) : pick(r, INTERESTING)),
        () => (Array.isArray(cur) ? [...cur, 1] : { v: cur }),
        () => pick(r, [0, -1, 1e9, 'relu', 'minus', 'plus', 'tanh', true, null]),
        () => [0, 0],
        () => [1e6, 1e6, 1e6, 1e6],
      ])();
      n.attrs[key] = v;
      if (r() < 0.1) n.attrs = pick(r, [null, [], 'x']);
      return;
    }
    default: {
      // json-random: walk to a random container and replace or delete one entry (1..3 times)
      for (let k = 0; k < 1 + int(r, 3); k++) {
        let cur: any = h;
        for (let depth = 0; depth < 6; depth++) {
          const keys = Object.keys(cur);
          if (keys.length === 0) break;
          const key = pick(r, keys);
          const next = cur[key];
          if (typeof next !== 'object' || next === null || r() < 0.25) {
            if (r() < 0.15) delete cur[key];
            else cur[key] = structuredClone(junkValues(r));
            break;
          }
          cur = next;
        }
      }
    }
  }
}

function mutateXnn(r: R, kind: Kind, s: XnnSeed): Uint8Array {
  const hotEnd = alignUp(PREAMBLE_BYTES + new DataView(s.bytes.buffer).getUint32(12, true)) + 64;
  switch (kind) {
    case 'bitflip': return bitflip(r, s.bytes, hotEnd);
    case 'insert': return insert(r, s.bytes, hotEnd);
    case 'delete': return del(r, s.bytes, hotEnd);
    case 'truncate': return truncate(r, s.bytes, hotEnd);
    case 'blob':
    case 'blob-crc': {
      // Corrupt the tensor data; 'blob-crc' recomputes the CRC so the corruption reaches the
      // per-tensor checks (padding bits, finiteness) and the runtime.
      const blob = bitflip(r, s.blob, Math.min(s.blob.length, 4096));
      if (kind === 'blob') {
        const out = s.bytes.slice();
        out.set(blob, s.bytes.length - s.blob.length);
        return out;
      }
      const h = structuredClone(s.header);
      return assemble(h, blob, { fixBlob: true });
    }
    default: {
      const h = structuredClone(s.header);
      mutateHeader(r, kind, h);
      return assemble(h, s.blob, { fixBlob: false });
    }
  }
}

// ---- BMXNet mutations -------------------------------------------------------------------

function mutateSymbol(r: R, text: string): string {
  const j = JSON.parse(text);
  const nodes: any[] = j.nodes;
  for (let k = 0; k < 1 + int(r, 3); k++) {
    const n = pick(r, nodes);
    const op = int(r, 8);
    const attrs = n.attrs ?? n.attr ?? (n.attr = {});
    if (op === 0) n.op = pick(r, ['null', 'Convolution', 'QConvolution', 'QActivation', 'FullyConnected', 'QFullyConnected', 'Pooling', 'BatchNorm', 'Activation', 'Flatten', 'elemwise_add', '_Plus', 'SoftmaxOutput', 'LRN', 'Dropout', 123]);
    else if (op === 1) {
      const key = pick(r, [...Object.keys(attrs), 'kernel', 'stride', 'pad', 'num_filter', 'num_hidden', 'act_type', 'pool_type', 'act_bit', 'eps', 'no_bias', 'global_pool', 'fix_gamma']);
      attrs[key] = pick(r, ['(0, 0)', '(3, 3)', '(1000000, 1000000)', '(-1, 2)', '(2,)', '()', '3', '-1', '0', '1e9', 'True', 'False', 'max', 'avg', 'relu', 'tanh', '64', '1', 'x', '(1, 1, 1)', 7, null, ['1']]);
    } else if (op === 2) {
      if (Array.isArray(n.inputs) && n.inputs.length) n.inputs[int(r, n.inputs.length)] = pick(r, [[nodes.length, 0, 0], [-1, 0, 0], [int(r, nodes.length), 5, 0], [nodes.indexOf(n), 0, 0], [0], 'x', [nodes.length - 1, 0, 0]]);
      else n.inputs = [[int(r, nodes.length), 0, 0]];
    } else if (op === 3) n.name = pick(r, ['data', '', nodes[0].name, 'x_weight', 123]);
    else if (op === 4) j.heads = pick(r, [[[nodes.length, 0, 0]], [], [[0, 0, 0]], 'x', [[int(r, nodes.length), 0, 0]]]);
    else if (op === 5) nodes.splice(int(r, nodes.length), 1);
    else if (op === 6) j.arg_nodes = pick(r, [[], [nodes.length + 3], 'x', null]);
    else {
      let cur: any = j;
      for (let d = 0; d < 5; d++) {
        const keys = Object.keys(cur);
        if (!keys.length) break;
        const key = pick(r, keys);
        if (typeof cur[key] !== 'object' || cur[key] === null || r() < 0.3) {
          cur[key] = structuredClone(junkValues(r));
          break;
        }
        cur = cur[key];
      }
    }
  }
  return JSON.stringify(j);
}

/** Overwrites a u32/u64 at a 4-aligned offset among the structural fields near the start or a header. */
function paramsField(r: R, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const dv = new DataView(out.buffer);
  const at = 4 * int(r, r() < 0.5 ? 16 : (out.length - 8) >> 2);
  const v = pick(r, [0, 1, 0xffffffff, 0x7fffffff, 0xf993fac9, 0xf993faca, 0x112, 32, 33, 1 << 20, 2, 5, 13, -1 >>> 0]);
  dv.setUint32(at, v, true);
  if (r() < 0.3) dv.setUint32(at + 4, pick(r, [0, 1, 0xffffffff]), true);
  return out;
}

// ---- ONNX mutations ---------------------------------------------------------------------

function mutateOnnxProto(r: R, bytes: Uint8Array): Uint8Array {
  const m: any = (decodeModel(bytes) as any).toJSON();
  const g = m.graph;
  for (let k = 0; k < 1 + int(r, 3); k++) {
    const op = int(r, 9);
    const n = pick(r, g.node as any[]);
    if (op === 0) n.opType = n.op_type = pick(r, ['Conv', 'Gemm', 'MatMul', 'Relu', 'Sign', 'Mul', 'Add', 'Flatten', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization', 'Reshape', 'Transpose', 'LRN', 'If', 'Loop', '']);
    else if (op === 1 && n.attribute?.length) {
      const a = pick(r, n.attribute as any[]);
      const c = int(r, 5);
      if (c === 0) a.ints = pick(r, [[], [0, 0], [-1, 3], [1e6, 1e6], [1, 1, 1, 1, 1, 1], ['9007199254740993']]);
      else if (c === 1) a.type = pick(r, [0, 1, 2, 3, 4, 5, 6, 7, 8, 99]);
      else if (c === 2) a.i = pick(r, [-1, 0, 1e9, '9007199254740993']);
      else if (c === 3) a.name = pick(r, ['group', 'dilations', 'auto_pad', 'axis', 'perm', 'x']);
      else a.s = pick(r, ['U0FNRV9VUFBFUg==', 'VkFMSUQ=', '']);
    } else if (op === 2) n.input[int(r, n.input.length || 1)] = pick(r, ['nope', '', g.node[0].output[0], n.output[0], 'input']);
    else if (op === 3 && g.initializer.length) {
      const t = pick(r, g.initializer as any[]);
      const c = int(r, 5);
      if (c === 0) t.dims = (t.dims ?? []).map(() => pick(r, ['0', '1', '-1', '65536', '9007199254740993', '2']));
      else if (c === 1) t.dataType = t.data_type = pick(r, [0, 1, 2, 3, 6, 7, 9, 10, 11, 16]);
      else if (c === 2) t.rawData = t.raw_data = (t.raw_data ?? t.rawData ?? '').slice(0, 8);
      else if (c === 3) t.dims = [...(t.dims ?? []), '1'];
      else { delete t.raw_data; delete t.rawData; t.floatData = t.float_data = [1, 2, 3]; }
    } else if (op === 4 && g.initializer.length) g.initializer.splice(int(r, g.initializer.length), 1);
    else if (op === 5) {
      const d = g.input[0]?.type?.tensorType?.shape?.dim ?? g.input[0]?.type?.tensor_type?.shape?.dim;
      if (d?.length) d[int(r, d.length)] = pick(r, [{ dim_value: 0 }, { dim_value: -1 }, { dim_value: '1000000' }, { dim_param: 'H' }, {}, { dimValue: 5 }]);
    } else if (op === 6) m.opset_import = m.opsetImport = pick(r, [[], [{ domain: '', version: 1 }], [{ domain: 'x', version: 13 }], [{ domain: '', version: 99 }]]);
    else if (op === 7) g.output = pick(r, [[], [{ name: 'nope' }], [...g.output, ...g.output], [{ name: g.node[0].output[0] }]]);
    else g.node.splice(int(r, g.node.length), 1, ...(r() < 0.5 ? [] : [structuredClone(n)]));
  }
  return encodeModel(m);
}

// ---- the memory bound ---------------------------------------------------------------------

const MiB = 2 ** 20;
/** Slack on top of twice the declared sizes: allocator alignment, params blocks, kernel tiles. */
export const MEMORY_SLACK = 64 * MiB;

/**
 * What a validated model may take in WASM memory, from its header alone: the kernels' static
 * data, every value at its own address (an upper bound of any arena plan), the largest
 * per-node working memory (the op's declared `workBytes` — a padded input copy — plus an
 * input and an output's worth of tiles and maps), and every weight twice as f32 (the raw
 * copy and the re-laid-out one; BWN kernels expand b1 weights to f32). A correct backend stays
 * within this (the shipped and built models take 4–51% of it). The bound is twice that plus
 * MEMORY_SLACK.
 * What breaks it: a size taken from an unchecked field, an i32 product that wrapped, a
 * weight layout that blew up — allocations the file does not justify.
 */
export function wasmMemoryBound(g: XnnModel, heapBase: number): { declared: number; bound: number } {
  const typeOf = (v: string): TensorType | undefined => g.types.get(v);
  let values = 0;
  const counted = new Set<string>();
  for (const v of [g.inputs[0].name, ...g.nodes.map((n) => n.outputs[0])]) {
    if (counted.has(v)) continue;
    counted.add(v);
    const t = typeOf(v);
    if (t) values += alignUp(byteSize(t)) + 16;
  }
  let work = 0;
  for (const n of g.nodes) {
    const decl: OpDecl = OPS[n.op];
    const ins = decl.inputs.map((_, j) => (n.inputs[j] ? typeOf(n.inputs[j]) : undefined));
    const out = typeOf(n.outputs[0]);
    const w = decl.workBytes?.(ins, resolveAttrs(n.op, n.attrs)) ?? 0;
    work = Math.max(work, w + (ins[0] ? 4 * elements(ins[0]) : 0) + (out ? 4 * elements(out) : 0));
  }
  let weights = 0;
  for (const t of g.tensors.values()) weights += 2 * 4 * elements(t);
  const declared = heapBase + values + work + weights;
  return { declared, bound: 2 * declared + MEMORY_SLACK };
}

const elements = (t: { shape: readonly number[] }) => t.shape.reduce((a, b) => a * b, 1);

/** A loaded model holds more WASM memory than its header justifies (see wasmMemoryBound). */
export class MemoryBoundError extends Error {
  override name = 'MemoryBoundError';
}

/** Throws MemoryBoundError when `backend` holds more WASM memory than `g`'s header justifies. */
export function checkWasmMemory(g: XnnModel, backend: WasmBackend): { wasmBytes: number; bound: number } {
  const k = backend.kernels;
  const wasmBytes = k.memory.buffer.byteLength;
  const { bound } = wasmMemoryBound(g, k.exports.heapBase());
  if (wasmBytes > bound)
    throw new MemoryBoundError(`WASM memory is ${wasmBytes} bytes after load and one run; the header justifies at most ${bound}`);
  return { wasmBytes, bound };
}

// ---- running one case -------------------------------------------------------------------

const XNN_OK = new Set(['ModelFormatError']);
const CONVERT_OK = new Set(['ConvertError', 'UnsupportedOpError']);

export interface CaseOptions {
  /** Restrict to kinds (default all the corpus supports). */
  kinds?: readonly Kind[];
}

export function availableKinds(c: Corpus, only?: readonly Kind[]): Kind[] {
  const ks: Kind[] = [...(c.xnn.length ? XNN_KINDS : []), ...(c.bmxnet.length ? BMXNET_KINDS : []), ...(c.onnx.length ? ONNX_KINDS : [])];
  return only ? ks.filter((k) => only.includes(k)) : ks;
}

/** Runs case `index` of run `seed`; never throws (a crash is a result). */
export async function runCase(c: Corpus, seed: number, index: number, kinds: readonly Kind[]): Promise<CaseResult> {
  const r = rng(caseSeed(seed, index));
  const kind = pick(r, kinds);
  const target: Target = (XNN_KINDS as readonly string[]).includes(kind) ? 'xnn' : (BMXNET_KINDS as readonly string[]).includes(kind) ? 'bmxnet' : 'onnx';
  let file = '';
  let bytes = 0;
  let stage = 'mutate';
  const ok = target === 'xnn' ? XNN_OK : CONVERT_OK;
  try {
    if (target === 'xnn') {
      const s = pickWeighted(r, c.xnn);
      file = s.name;
      const data = mutateXnn(r, kind, s);
      bytes = data.length;
      stage = 'readXnn';
      const graph = readXnn(data);
      stage = 'backend';
      const backend = await createBackend('wasm', graph, { wasm: { source: c.wasm, popcount: 'scalar' } });
      try {
        stage = 'run';
        const m = new Model(graph, backend, 'wasm');
        const n = m.inputShape.reduce((a, b) => a * b, 1);
        const y = m.run(new Float32Array(n));
        if (y.data.length === 0) throw new Error('empty output');
        // Measured after the run, so growth during inference counts too.
        stage = 'memory';
        const { wasmBytes, bound } = checkWasmMemory(graph, backend as WasmBackend);
        return { index, target, kind, file, outcome: 'ok', bytes, wasmBytes, wasmBound: bound };
      } finally {
        backend.dispose();
      }
    } else if (target === 'bmxnet') {
      const s = pickWeighted(r, c.bmxnet);
      file = s.name;
      let symbol = s.symbol;
      let params = s.params;
      const hot = 4096;
      if (kind === 'params-bitflip') params = bitflip(r, params, hot);
      else if (kind === 'params-insert') params = insert(r, params, hot);
      else if (kind === 'params-delete') params = del(r, params, hot);
      else if (kind === 'params-truncate') params = truncate(r, params, params.length);
      else if (kind === 'params-field') params = paramsField(r, params);
      else if (kind === 'symbol-text') symbol = new TextDecoder().decode(bitflip(r, new TextEncoder().encode(symbol), symbol.length));
      else symbol = mutateSymbol(r, symbol);
      bytes = params.length + symbol.length;
      stage = 'convertBmxnet';
      convertBmxnet(symbol, params, s.preset);
    } else {
      const s = pickWeighted(r, c.onnx);
      file = s.name;
      let data = s.bytes;
      if (kind === 'onnx-bitflip') data = bitflip(r, data, 512);
      else if (kind === 'onnx-insert') data = insert(r, data, 512);
      else if (kind === 'onnx-delete') data = del(r, data, 512);
      else if (kind === 'onnx-truncate') data = truncate(r, data, data.length);
      else data = mutateOnnxProto(r, data);
      bytes = data.length;
      stage = 'convertOnnx';
      convertOnnx(data, r() < 0.5 ? {} : { inputSize: [8, 8] });
    }
    return { index, target, kind, file, outcome: 'ok', bytes };
  } catch (e) {
    const name = e instanceof Error ? e.name : typeof e;
    const documented = ok.has(name) && (e instanceof ModelFormatError || e instanceof ConvertError || e instanceof UnsupportedOpError);
    return {
      index, target, kind, file, bytes, stage,
      outcome: documented ? 'rejected' : 'crash',
      errorName: name,
      message: e instanceof Error ? (documented ? e.message : (e.stack ?? e.message)) : String(e),
    };
  }
}
