// A small .npy reader/writer (NumPy format 1.0–3.0): C-order arrays of f32, f64 or u8 in;
// f32 out. https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

import { InputError } from '../errors.js';

export interface NpyArray {
  shape: number[];
  /** The stored dtype, e.g. '<f4', '<f8', '|u1'. */
  descr: string;
  /** Values converted to float32. */
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function readNpy(bytes: Uint8Array, name = '<npy>'): NpyArray {
  const bad = (msg: string): never => {
    throw new InputError(`${name}: ${msg}`);
  };
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) bad('not a .npy file (bad magic)');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major !== 1 && major !== 2 && major !== 3) bad(`unsupported .npy version ${major}.${bytes[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) bad('truncated .npy header');
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = 8 + lenBytes + hlen;
  if (bytes.length < start) bad('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, start));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? bad(`no 'descr' in header ${header.trim()}`);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] ?? bad("no 'fortran_order' in header");
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? bad("no 'shape' in header");
  if (fortran === 'True') bad('Fortran-order arrays are not supported (save with C order, e.g. np.ascontiguousarray)');
  const shape = shapeStr
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : bad(`bad shape (${shapeStr})`)));
  const n = shape.reduce((a, b) => a * b, 1);
  const kinds: Record<string, [number, (o: number) => number]> = {
    '<f4': [4, (o) => dv.getFloat32(o, true)],
    '>f4': [4, (o) => dv.getFloat32(o, false)],
    '<f8': [8, (o) => dv.getFloat64(o, true)],
    '>f8': [8, (o) => dv.getFloat64(o, false)],
    '|u1': [1, (o) => bytes[o]],
    '<u1': [1, (o) => bytes[o]],
    '>u1': [1, (o) => bytes[o]],
  };
  const kind = kinds[descr] ?? bad(`dtype '${descr}' is not supported (use float32, float64 or uint8)`);
  const [size, get] = kind;
  if (bytes.length - start !== n * size)
    bad(`header says [${shape.join(',')}] ${descr} = ${n * size} bytes of data, file holds ${bytes.length - start}`);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = get(start + i * size);
  return { shape, descr, data };
}

/** Writes a little-endian float32, C-order .npy (format 1.0, header padded to 64 bytes). */
export function writeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new InputError(`shape [${shape.join(',')}] does not hold ${data.length} values`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + 4 * n);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, total);
  for (let i = 0; i < n; i++) dv.setFloat32(4 * i, data[i], true);
  return out;
}
