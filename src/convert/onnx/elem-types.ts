// ONNX element types other than FLOAT: an integer or bool tensor is carried as f32 values that
// hold its integers exactly, and each op on it is accepted only where f32 gives ONNX's result.

import type { Val } from './graph.js';
import type { NodeCtx } from './node.js';
import { DT, dtypeName, type Const } from './proto.js';

/** The integer types a graph input may have, with their range and the name the .xnn records. */
export const INPUT_INT_TYPES: Record<number, { name: 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16'; lo: number; hi: number; bits: number }> = {
  [DT.BOOL]: { name: 'bool', lo: 0, hi: 1, bits: 1 },
  [DT.UINT8]: { name: 'uint8', lo: 0, hi: 255, bits: 8 },
  [DT.INT8]: { name: 'int8', lo: -128, hi: 127, bits: 8 },
  [DT.UINT16]: { name: 'uint16', lo: 0, hi: 65535, bits: 16 },
  [DT.INT16]: { name: 'int16', lo: -32768, hi: 32767, bits: 16 },
};
const UNSIGNED = new Set<number>([DT.BOOL, DT.UINT8, DT.UINT16, 12, 13]);
/** BOOL and the integer types (UINT32 12, UINT64 13 by number: proto.ts reads neither as a constant). */
const INT_TYPES = new Set<number>([DT.BOOL, DT.UINT8, DT.INT8, DT.UINT16, DT.INT16, DT.INT32, DT.INT64, 12, 13]);
export const isIntType = (t: number) => INT_TYPES.has(t);

const EXACT = new Set(['Identity', 'Dropout', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Pad', 'MaxPool',
  'GlobalMaxPool', 'Clip', 'Relu', 'Max', 'Min', 'Sign', 'Where', 'GreaterOrEqual', 'Shape', 'Constant']);
const WRAP = new Set(['Add', 'Sub', 'Neg', 'Abs', 'Mul']);
const BOOL_OUT = new Set(['GreaterOrEqual']);

/** A constant's values as f32, refusing integers that f32 does not hold exactly. */
export function exactF32(c: NodeCtx, k: Const, i: number): Float32Array {
  if (k.data instanceof Float32Array) return k.data;
  const bad = k.data.findIndex((v) => !(Math.abs(v) <= 2 ** 24));
  if (bad >= 0) c.unsupported(`input ${i} "${k.name}" (${dtypeName(k.dtype)}) holds ${k.data[bad]}, beyond the integers f32 holds exactly (2^24)`);
  return Float32Array.from(k.data);
}

/** The element type of output 0 of c's node from its inputs' types (`t`: input i's, FLOAT when unknown). */
export function outputType(c: NodeCtx, t: (input: number) => number): number {
  if (BOOL_OUT.has(c.node.op_type)) return DT.BOOL;
  if (c.node.op_type === 'Shape') return DT.INT64;
  if (c.node.op_type === 'Where') return t(1);
  return c.node.input.length ? t(0) : DT.FLOAT;
}

/**
 * What an op on integer inputs needs: 'exact', 'wrap' (then wrapInt), 'floor' (unsigned Div),
 * or a refusal. Called before the handler when an input that is not a constant is an integer.
 *   - exact ops (data movement, max/min/clip, comparisons, Where, Sign, Relu) need nothing;
 *   - Add/Sub/Neg/Abs of 8- and 16-bit types and Mul of 8-bit types are exact in f32 before
 *     the wraparound (|v| < 2^24), which `wrapInt` then applies;
 *   - Div of unsigned types by a constant without zeros is floor(a/b) (ONNX's integer
 *     quotient): f32's rounding of a/b never crosses an integer when a, b < 2^16;
 *   - anything else on an integer tensor is refused (a mean, a product that leaves 2^24…).
 * Graph inputs may be BOOL, UINT8, INT8, UINT16, INT16 (checked at the runtime's edge:
 * src/runtime/layout.ts); 32- and 64-bit integers only as constants exact in f32.
 */
export function intRule(c: NodeCtx, t: number): 'exact' | 'wrap' | 'floor' {
  const op = c.node.op_type;
  const info = INPUT_INT_TYPES[t];
  const what = `${dtypeName(t)} tensors`;
  if (EXACT.has(op)) return 'exact';
  if (!info) c.unsupported(`${what}: ${op} is computed in f32, exact only for integers of 16 bits or less`);
  if (WRAP.has(op) && (op !== 'Mul' || info.bits <= 8) && t !== DT.BOOL) return 'wrap';
  if (op === 'Div' && UNSIGNED.has(t) && t !== DT.BOOL) {
    const s = c.sym(1);
    if (s.k !== 'const' || Array.from(s.c.data).some((v) => v === 0))
      c.unsupported(`${what}: an integer Div is supported by a constant divisor without zeros (a zero divisor has no integer result)`);
    return 'floor';
  }
  return c.unsupported(`${what}: ${op} computed in f32 would not give ONNX's ${dtypeName(t)} result`);
}

/** v reduced to type t's range with wraparound (two's complement), exactly in f32: ((v − lo) − 2^b·floor((v − lo)/2^b)) + lo. */
export function wrapInt(c: NodeCtx, v: Val, t: number): Val {
  const { lo, bits } = INPUT_INT_TYPES[t];
  const m = 2 ** bits;
  const k = (x: number) => c.b.f32(`${c.name}_k${x}`, new Array(v.type.shape.length).fill(1), Float32Array.of(x));
  const node = (op: 'Arith' | 'Unary', ins: string[], fn: string, tag: string) => c.b.node(c.where, op, `${c.name}_${tag}`, ins, { fn }).val;
  const shifted = lo ? node('Arith', [v.name, k(lo)], 'sub', 'shift') : v;
  const q = node('Unary', [node('Arith', [shifted.name, k(1 / m)], 'mul', 'scaled').name], 'floor', 'wraps');
  const r = node('Arith', [shifted.name, node('Arith', [q.name, k(m)], 'mul', 'wrapped').name], 'sub', 'wrapped');
  // + lo also turns an integer −0 (0·−5, −0) into +0.
  return { ...node('Arith', [r.name, k(lo)], 'add', 'wrap'), nchw: v.nchw };
}

/** floor(v): the integer quotient of an unsigned Div. */
export function floorInt(c: NodeCtx, v: Val): Val {
  return { ...c.b.node(c.where, 'Unary', `${c.name}_floor`, [v.name], { fn: 'floor' }).val, nchw: v.nchw };
}
