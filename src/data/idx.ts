// IDX files (MNIST, Fashion-MNIST), optionally gzipped; a folder holding t10k-images-idx3-ubyte(.gz) +
// t10k-labels-idx1-ubyte(.gz) is the test split.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors.js';
import type { Dataset, Sample } from './types.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Big-endian magic 0x0000 TT NN (TT = 0x08: u8, NN = rank), then NN u32 dims, then the data. */
export function parseIdx(raw: Uint8Array, path: string): IdxArray {
  let bytes = raw;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new InputError(`${path}: corrupt gzip stream (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new InputError(`${path}: not an IDX file (bad magic)`);
  if (bytes[2] !== 0x08) throw new InputError(`${path}: IDX element type 0x${bytes[2].toString(16)} is not supported (only u8)`);
  const rank = bytes[3];
  if (rank < 1 || bytes.length < 4 + 4 * rank) throw new InputError(`${path}: truncated IDX header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => dv.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (bytes.length - start !== count)
    throw new InputError(`${path}: IDX header says [${dims.join(',')}] = ${count} bytes, file holds ${bytes.length - start}`);
  return { dims, data: bytes.subarray(start) };
}

export function idxDataset(images: IdxArray, labels: IdxArray, path: string): Dataset {
  if (images.dims.length !== 3) throw new InputError(`${path}: image file must be rank 3 [n, h, w], got [${images.dims}]`);
  if (labels.dims.length !== 1) throw new InputError(`${path}: label file must be rank 1 [n], got [${labels.dims}]`);
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) throw new InputError(`${path}: ${n} images but ${labels.dims[0]} labels`);
  const px = h * w;
  return {
    kind: 'idx',
    path,
    size: n,
    async *[Symbol.asyncIterator](): AsyncGenerator<Sample> {
      for (let i = 0; i < n; i++)
        yield {
          name: `#${i}`,
          label: labels.data[i],
          image: { width: w, height: h, channels: 1, data: images.data.slice(i * px, (i + 1) * px) },
        };
    },
  };
}

/** Finds the test split (t10k-*) in an MNIST-style folder; null if the folder is not one. */
export async function findIdxPair(dir: string): Promise<{ images: string; labels: string } | null> {
  const files = await readdir(dir);
  const pick = (stem: string) => files.find((f) => f === stem || f === `${stem}.gz`);
  const images = pick('t10k-images-idx3-ubyte');
  const labels = pick('t10k-labels-idx1-ubyte');
  return images && labels ? { images: join(dir, images), labels: join(dir, labels) } : null;
}

export async function openIdxFolder(dir: string): Promise<Dataset> {
  const pair = await findIdxPair(dir);
  if (!pair) throw new InputError(`${dir}: no t10k-images-idx3-ubyte[.gz] / t10k-labels-idx1-ubyte[.gz] here`);
  const [im, lb] = await Promise.all([readFile(pair.images), readFile(pair.labels)]);
  return idxDataset(parseIdx(im, pair.images), parseIdx(lb, pair.labels), dir);
}
