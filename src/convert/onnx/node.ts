// One ONNX node being converted: typed access to its inputs and attributes, and errors that
// name it (`node "/4/Conv" (Conv): group=2 is not supported`).

import { ConvertError, UnsupportedOpError } from '../../errors.js';
import type { Builder, Sym, Val } from './graph.js';
import { type AttributeProto, type Const, type NodeProto, tensorValues, toNumber } from './proto.js';

const KIND: Record<Sym['k'], string> = {
  val: 'an activation',
  const: 'a constant',
  ge0: 'a comparison x >= 0 (only supported inside the sign pattern Where(x >= 0, 1, -1))',
  sign: 'the ±1 output of a sign activation (only supported as the input of a binary Conv/Gemm, MaxPool, Flatten or Reshape)',
  abs: 'an Abs (only supported inside the K map ReduceMean(Abs(x)))',
  absmean: 'a channel mean of |x| (only supported as the input of the K map box Conv, or multiplied into a binary layer)',
  kmap: "XNOR-Net's K map (only supported multiplied into the binary Conv it belongs to)",
  pad: 'a Pad',
};

export class NodeCtx {
  readonly where: string;
  private attrs = new Map<string, AttributeProto>();

  constructor(
    readonly node: NodeProto,
    readonly b: Builder,
    private syms: Map<string, Sym>,
    readonly opset: number,
    /** How many nodes (and graph outputs) read each ONNX value. */
    readonly uses: Map<string, number>,
    /** Value renames of simplifyGraph (fold-const.ts). */
    private alias: Map<string, string> = new Map(),
  ) {
    this.where = `node "${node.name || node.output[0] || '?'}" (${node.op_type})`;
    for (const a of node.attribute) this.attrs.set(a.name, a);
  }
  get name(): string {
    return this.node.name || this.node.output[0] || this.node.op_type;
  }
  fail(msg: string): never {
    throw new ConvertError(`${this.where}: ${msg}`);
  }
  unsupported(msg: string): never {
    throw new UnsupportedOpError(`${this.where}: ${msg}`);
  }

  // --- inputs ---
  has(i: number): boolean {
    return i < this.node.input.length && this.node.input[i] !== '';
  }
  sym(i: number): Sym {
    if (!this.has(i)) this.fail(`input ${i} is missing`);
    const name = this.node.input[i];
    const s = this.syms.get(this.alias.get(name) ?? name);
    if (!s) this.fail(`input ${i} "${name}" is neither a graph input, an initializer nor the output of an earlier node`);
    return s;
  }
  /** Input i as an activation; sign, abs and pad are made float values (ops.ts), others are unsupported here. */
  val(i: number): Val {
    const s = this.sym(i);
    if (s.k === 'val') return s.v;
    const m = NodeCtx.materialize?.(this, i, s);
    if (!m) this.unsupported(`input ${i} "${this.node.input[i]}" is ${KIND[s.k]}`);
    return m;
  }
  /** Set by ops.ts: the float value of a lazy symbol, or undefined when it has none. */
  static materialize?: (c: NodeCtx, i: number, s: Sym) => Val | undefined;
  /** Input i as a float activation of rank `rank` (any rank when omitted). */
  f32(i: number, rank?: number): Val {
    const v = this.val(i);
    if (v.type.dtype !== 'f32') this.unsupported(`input ${i} "${this.node.input[i]}" is a ±1 tensor; a float one is needed`);
    if (rank !== undefined && v.type.shape.length !== rank)
      this.unsupported(`expects a ${rank}-D input, got ${v.type.shape.length}-D (NHWC [${v.type.shape.join(',')}])`);
    return v;
  }
  const(i: number, what = `input ${i}`): Const {
    const s = this.sym(i);
    if (s.k !== 'const') this.unsupported(`${what} ("${this.node.input[i]}") must be a constant (initializer), but it is ${KIND[s.k]}`);
    return s.c;
  }
  optConst(i: number, what?: string): Const | undefined {
    return this.has(i) ? this.const(i, what) : undefined;
  }
  /** A constant's values as f32, checking the element count. */
  floats(c: Const, n: number, what: string): Float32Array {
    if (c.data.length !== n) this.fail(`${what} "${c.name}" has ${c.data.length} values [${c.dims.join(',')}], expected ${n}`);
    return c.data instanceof Float32Array ? c.data : Float32Array.from(c.data);
  }
  /** Sets what ONNX value `name` is (output i of this node: `define(this.node.output[i], …)`). */
  define(name: string, s: Sym) {
    if (name) this.syms.set(name, s);
  }
  /** Whether output i is read by a node or is a graph output. */
  used(i: number): boolean {
    return !!this.node.output[i] && !!this.uses.get(this.node.output[i]);
  }
  /** What ONNX value `name` is. */
  lookup(name: string): Sym {
    const s = this.syms.get(name);
    if (!s) this.fail(`value "${name}" is not defined`);
    return s;
  }
  /** A constant value of this node's expansion; returns its name. */
  constant(what: string, dims: number[], data: Float32Array | number[], dtype = 1): string {
    const name = `${this.name}#${what}`;
    this.define(name, { k: 'const', c: { name, dims, dtype, data } });
    return name;
  }
  /** Converts an ONNX node this one expands into (integer attributes only) by `NodeCtx.handle`; returns its output's name. */
  expand(op_type: string, input: string[], attrs: Record<string, number | number[]> = {}): string {
    const out = `${this.name}#${op_type}${this.expanded++}`;
    const attribute = Object.entries(attrs).map(([name, v]) => (Array.isArray(v) ? { name, ints: v } : { name, i: v }));
    const n = { name: out, op_type, input, output: [out], attribute, domain: '' } as unknown as NodeProto;
    this.define(out, NodeCtx.handle!(new NodeCtx(n, this.b, this.syms, this.opset, this.uses, this.alias)));
    return out;
  }
  private expanded = 0;
  /** Set by ops.ts: converts one node. */
  static handle?: (c: NodeCtx) => Sym;
  /** Only output 0 may be read (optional extra outputs such as MaxPool's Indices). */
  singleOutput() {
    for (let i = 1; i < this.node.output.length; i++)
      if (this.node.output[i] && this.uses.get(this.node.output[i])) this.unsupported(`output ${i} ("${this.node.output[i]}") is used; only output 0 is supported${this.node.op_type === 'MaxPool' ? ' (no op computes the argmax Indices)' : ''}`);
  }

  /**
   * This node as its 2-D form for a 1-D window (Conv/pools on [N, C, L]): input 0 replaced by
   * x (the input as [N, C, 1, L]), a rank-3 weight given a height of 1, and the window
   * attributes widened: kernel_shape/strides/dilations [k] → [1, k], pads [a, b] → [0, a, 0, b].
   */
  as2d(x: Sym): NodeCtx {
    const n = this.node;
    const syms = new Map(this.syms);
    const name = `${n.input[0]}#2d`;
    syms.set(name, x);
    const input = [name, ...n.input.slice(1)];
    if (this.has(1)) {
      const w = this.sym(1);
      if (w.k === 'const' && w.c.dims.length === 3) {
        const wn = `${n.input[1]}#2d`;
        syms.set(wn, { k: 'const', c: { ...w.c, dims: [w.c.dims[0], w.c.dims[1], 1, w.c.dims[2]] } });
        input[1] = wn;
      }
    }
    const attribute = n.attribute.map((a) => {
      if (['kernel_shape', 'strides', 'dilations'].includes(a.name) && a.ints.length === 1) return { ...a, ints: [1, a.ints[0]] };
      if (a.name === 'pads' && a.ints.length === 2) return { ...a, ints: [0, a.ints[0], 0, a.ints[1]] };
      return a;
    });
    return new NodeCtx({ ...n, input, attribute }, this.b, syms, this.opset, this.uses, this.alias);
  }

  // --- attributes ---
  /** Attributes other than these are unsupported (an unknown one could change the meaning). */
  only(...names: string[]) {
    for (const a of this.attrs.keys()) if (!names.includes(a)) this.unsupported(`attribute "${a}" is not supported`);
  }
  private attr(name: string): AttributeProto | undefined {
    return this.attrs.get(name);
  }
  int(name: string, def: number): number {
    const a = this.attr(name);
    return a ? toNumber(a.i) : def;
  }
  ints(name: string, def: number[]): number[] {
    const a = this.attr(name);
    return a ? a.ints.map(toNumber) : def;
  }
  float(name: string, def: number): number {
    const a = this.attr(name);
    return a ? a.f : def;
  }
  str(name: string, def: string): string {
    const a = this.attr(name);
    // An attribute without a string value decodes with s = [] (protobufjs default), not bytes.
    return a ? new TextDecoder().decode(a.s instanceof Uint8Array ? a.s : Uint8Array.from(a.s ?? [])) : def;
  }
  tensorAttr(name: string): Const | undefined {
    const a = this.attr(name);
    return a?.t ? tensorValues(a.t, this.where) : undefined;
  }
  attrNames(): string[] {
    return [...this.attrs.keys()];
  }
  floatsAttr(name: string): number[] | undefined {
    return this.attr(name)?.floats;
  }
}
