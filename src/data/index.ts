// Opens a labelled data set (a labels.tsv folder, an MNIST-style idx folder, a CIFAR-10 batch);
// Node only.

import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { openCifar } from './cifar.js';
import { openFolder } from './folder.js';
import { findIdxPair, openIdxFolder } from './idx.js';
import type { Dataset } from './types.js';

export type { Dataset, Sample } from './types.js';
export { parseLabelsTsv, openFolder } from './folder.js';
export { cifarDataset, openCifar, CIFAR_RECORD } from './cifar.js';
export { parseIdx, idxDataset, openIdxFolder } from './idx.js';

// Recognises what PATH is:
//  - a folder with labels.tsv                     → images listed there
//  - a folder with t10k-{images,labels}-idx*      → MNIST / Fashion-MNIST test split
//  - a file                                       → a CIFAR-10 binary batch
export async function openDataset(path: string): Promise<Dataset> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new InputError(`${path}: no such file or folder`);
  }
  if (st.isDirectory()) {
    if (existsSync(join(path, 'labels.tsv'))) return openFolder(path);
    if (await findIdxPair(path)) return openIdxFolder(path);
    throw new InputError(`${path}: folder has neither labels.tsv nor t10k-*-idx*-ubyte[.gz] files`);
  }
  return openCifar(path);
}
