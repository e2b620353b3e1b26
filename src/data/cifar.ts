// A CIFAR-10 binary batch file: records of 1 label byte + 1024 R + 1024 G + 1024 B bytes
// (32×32, row-major planes). Yields interleaved RGB RawImages.

import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { Dataset, Sample } from './types.js';

export const CIFAR_SIDE = 32;
export const CIFAR_RECORD = 1 + 3 * CIFAR_SIDE * CIFAR_SIDE;

/** Parses a whole batch held in memory; `classes` bounds the label byte (10 for CIFAR-10). */
export function cifarDataset(bytes: Uint8Array, path: string, classes = 10): Dataset {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0)
    throw new InputError(
      `${path}: not a CIFAR-10 binary batch (${bytes.length} bytes is not a multiple of the ${CIFAR_RECORD}-byte record)`,
    );
  const n = bytes.length / CIFAR_RECORD;
  for (let i = 0; i < n; i++)
    if (bytes[i * CIFAR_RECORD] >= classes)
      throw new InputError(`${path}: record ${i} has label ${bytes[i * CIFAR_RECORD]}, expected 0–${classes - 1}`);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  return {
    kind: 'cifar',
    path,
    size: n,
    async *[Symbol.asyncIterator](): AsyncGenerator<Sample> {
      for (let i = 0; i < n; i++) {
        const o = i * CIFAR_RECORD;
        const data = new Uint8Array(plane * 3);
        for (let p = 0; p < plane; p++) {
          data[p * 3] = bytes[o + 1 + p];
          data[p * 3 + 1] = bytes[o + 1 + plane + p];
          data[p * 3 + 2] = bytes[o + 1 + 2 * plane + p];
        }
        yield { name: `#${i}`, label: bytes[o], image: { width: CIFAR_SIDE, height: CIFAR_SIDE, channels: 3, data } };
      }
    },
  };
}

export async function openCifar(path: string): Promise<Dataset> {
  return cifarDataset(await readFile(path), path);
}
