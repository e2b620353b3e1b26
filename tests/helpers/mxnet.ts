// Builders of small MXNet/BMXNet inputs for converter tests.

export interface ArraySpec {
  name: string;
  shape: number[];
  /** type_flag: 0 f32, 1 f64. */
  dtype?: 'f32' | 'f64';
  /** Values, or raw bytes (for packed binary weights). */
  data: ArrayLike<number> | Uint8Array;
}

/** A legacy (MXNet < 1.0, BMXNet v1) NDArray list file. */
export function makeParams(arrays: ArraySpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const u32 = (...v: number[]) => parts.push(new Uint8Array(Uint32Array.from(v).buffer));
  const u64 = (v: number) => u32(v % 2 ** 32, Math.floor(v / 2 ** 32));
  u64(0x112);
  u64(0);
  u64(arrays.length);
  for (const a of arrays) {
    u32(a.shape.length, ...a.shape);
    const tf = (a.dtype ?? 'f32') === 'f32' ? 0 : 1;
    u32(1, 0, tf);
    if (a.data instanceof Uint8Array) parts.push(a.data);
    else parts.push(new Uint8Array((tf === 0 ? Float32Array.from(a.data) : Float64Array.from(a.data)).buffer));
  }
  u64(arrays.length);
  for (const a of arrays) {
    const b = new TextEncoder().encode(`arg:${a.name}`);
    u64(b.length);
    parts.push(b);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Packs ±1 values LSB-first into u64 words where a set bit means +1 (BMXNet's convention). */
export function packBmxnet(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 64) * 8);
  for (let i = 0; i < values.length; i++) if (values[i] > 0) out[i >> 3] |= 1 << (i & 7);
  return out;
}

export interface SymNode {
  op: string;
  name: string;
  inputs?: string[];
  attrs?: Record<string, string>;
}

/** A symbol JSON from nodes that name their inputs; variables are added for unknown names. */
export function makeSymbol(nodes: SymNode[]): string {
  const out: { op: string; name: string; inputs: number[][]; attrs?: Record<string, string> }[] = [];
  const index = new Map<string, number>();
  for (const n of nodes) {
    const inputs = (n.inputs ?? []).map((name) => {
      if (!index.has(name)) {
        index.set(name, out.length);
        out.push({ op: 'null', name, inputs: [] });
      }
      return [index.get(name)!, 0, 0];
    });
    index.set(n.name, out.length);
    out.push({ op: n.op, name: n.name, inputs, ...(n.attrs ? { attrs: n.attrs } : {}) });
  }
  return JSON.stringify({ nodes: out, arg_nodes: [], heads: [[out.length - 1, 0, 0]], attrs: { mxnet_version: ['int', 903] } });
}
