// MXNet `.params` (an NDArray list), parsed defensively: counts and lengths are checked against
// the bytes that remain before anything is allocated (the layout: above parseMxnetParams).

import { ConvertError } from '../errors.js';

export type MxDType = 'f32' | 'f64' | 'f16' | 'u8' | 'i32' | 'i8' | 'i64';
const DTYPES: readonly [MxDType, number][] = [
  ['f32', 4],
  ['f64', 8],
  ['f16', 2],
  ['u8', 1],
  ['i32', 4],
  ['i8', 1],
  ['i64', 8],
];

export interface MxArray {
  name: string;
  /** `arg` (learned), `aux` (running statistics) or '' when the name had no prefix. */
  kind: 'arg' | 'aux' | '';
  shape: number[];
  dtype: MxDType;
  /** The raw little-endian bytes (a view into the file). */
  bytes: Uint8Array;
}

const LIST_MAGIC = 0x112;
const ND_V1 = 0xf993fac8;
const ND_V2 = 0xf993fac9;

class Cursor {
  o = 0;
  private dv: DataView;
  constructor(private b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  fail(msg: string, at = this.o): never {
    throw new ConvertError(`params: ${msg} at byte ${at}`);
  }
  need(n: number, what: string) {
    if (n > this.b.length - this.o) this.fail(`truncated: ${what} needs ${n} bytes, ${this.b.length - this.o} remain`);
  }
  u32(what: string) {
    this.need(4, what);
    const v = this.dv.getUint32(this.o, true);
    this.o += 4;
    return v;
  }
  i32(what: string) {
    this.need(4, what);
    const v = this.dv.getInt32(this.o, true);
    this.o += 4;
    return v;
  }
  /** A u64 that must fit a safe integer. */
  u64(what: string) {
    this.need(8, what);
    const lo = this.dv.getUint32(this.o, true);
    const hi = this.dv.getUint32(this.o + 4, true);
    if (hi >= 1 << 21) this.fail(`${what} is too large`);
    this.o += 8;
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number, what: string) {
    this.need(n, what);
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  get remaining() {
    return this.b.length - this.o;
  }
}

// Problems are ConvertErrors naming the byte offset. The layout:
//   u64 0x112 (list magic), u64 reserved, u64 N, N arrays, u64 name count, (u64 len, bytes)×count
//   array (legacy, MXNet < 1.0, what BMXNet v1 writes):
//     u32 ndim, u32 dims[ndim], (if ndim > 0:) i32 dev_type, i32 dev_id, i32 type_flag, raw data
//   array (MXNet >= 1.0): u32 magic 0xF993FAC8 (V1) or 0xF993FAC9 (V2, then i32 storage type,
//     0 = dense), u32 ndim, i64 dims[ndim], then as above.
// Names carry an `arg:` or `aux:` prefix.
/** Parses a `.params` file into arrays keyed by name without prefix. */
export function parseMxnetParams(bytes: Uint8Array): Map<string, MxArray> {
  if (!(bytes instanceof Uint8Array)) throw new ConvertError('params: expected a Uint8Array');
  const c = new Cursor(bytes);
  const magic = c.u64('list magic');
  if (magic !== LIST_MAGIC) c.fail(`not an MXNet NDArray list (magic 0x${magic.toString(16)}, expected 0x112)`, 0);
  c.u64('reserved');
  const n = c.u64('array count');
  // Every array takes at least 4 bytes, and every name slot 8.
  if (n > c.remaining / 4) c.fail(`array count ${n} cannot fit in the ${bytes.length}-byte file`, 16);

  const arrays: Omit<MxArray, 'name' | 'kind'>[] = [];
  for (let i = 0; i < n; i++) arrays.push(readArray(c, i));

  const at = c.o;
  const names = c.u64('name count');
  if (names !== n) c.fail(`${names} names for ${n} arrays`, at);
  const out = new Map<string, MxArray>();
  for (let i = 0; i < n; i++) {
    const start = c.o;
    const len = c.u64(`length of name ${i}`);
    let full: string;
    try {
      full = new TextDecoder('utf-8', { fatal: true }).decode(c.bytes(len, `name ${i}`));
    } catch (e) {
      if (e instanceof ConvertError) throw e;
      c.fail(`name ${i} is not valid UTF-8`, start);
    }
    const m = /^(arg|aux):(.*)$/.exec(full!);
    const name = m ? m[2] : full!;
    if (out.has(name)) c.fail(`array name "${name}" appears twice`, start);
    out.set(name, { name, kind: m ? (m[1] as 'arg' | 'aux') : '', ...arrays[i] });
  }
  if (c.remaining !== 0) c.fail(`${c.remaining} unexpected bytes after the names`);
  return out;
}

function readArray(c: Cursor, i: number): Omit<MxArray, 'name' | 'kind'> {
  const start = c.o;
  const first = c.u32(`array ${i}`);
  let ndim = first;
  let wideDims = false;
  if (first === ND_V1 || first === ND_V2) {
    if (first === ND_V2) {
      const stype = c.i32(`array ${i} storage type`);
      if (stype !== 0) c.fail(`array ${i} uses sparse storage (type ${stype}), only dense arrays are supported`, start);
    }
    ndim = c.u32(`array ${i} ndim`);
    wideDims = true;
  }
  if (ndim > 32) c.fail(`array ${i} claims ${ndim} dimensions`, start);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const v = wideDims ? c.u64(`array ${i} dim ${d}`) : c.u32(`array ${i} dim ${d}`);
    shape.push(v);
    count *= v;
    if (count > c.remaining) c.fail(`array ${i} shape [${shape.join(',')}...] is larger than the file`, start);
  }
  if (ndim === 0) return { shape, dtype: 'f32', bytes: new Uint8Array(0) };
  c.i32(`array ${i} dev_type`);
  c.i32(`array ${i} dev_id`);
  const tfAt = c.o;
  const tf = c.i32(`array ${i} type_flag`);
  if (tf < 0 || tf >= DTYPES.length) c.fail(`array ${i} has unknown type_flag ${tf}`, tfAt);
  const [dtype, size] = DTYPES[tf];
  return { shape, dtype, bytes: c.bytes(count * size, `array ${i} data (${dtype}[${shape.join(',')}])`) };
}

/** The values of a float array (f32, f64 or f16) as float32. */
export function floatValues(a: MxArray, where: string): Float32Array {
  const n = a.shape.reduce((p, d) => p * d, 1);
  const dv = new DataView(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength);
  const out = new Float32Array(n);
  if (a.dtype === 'f32') for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  else if (a.dtype === 'f64') for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
  else if (a.dtype === 'f16') for (let i = 0; i < n; i++) out[i] = half(dv.getUint16(2 * i, true));
  else throw new ConvertError(`${where}: array "${a.name}" has dtype ${a.dtype}, expected a float type`);
  return out;
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
