// A labelled image data set, iterated lazily (Node only).

import type { RawImage } from '../types.js';

export interface Sample {
  /** File name, or `#index` for records inside one file. */
  name: string;
  image: RawImage;
  /** Class index; −1 where the data set gives no class (such samples are skipped by eval). */
  label: number;
}

export interface Dataset {
  kind: 'folder' | 'cifar' | 'idx';
  /** Where it was read from. */
  path: string;
  /** Number of samples. */
  size: number;
  [Symbol.asyncIterator](): AsyncIterator<Sample>;
}
