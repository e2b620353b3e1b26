// Finds files in the shared folder (models, data sets) beside the checkout. A missing file
// skips the tests that need it locally, and fails them when CI=true.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DIR = process.env.XNOR_SHARED ?? resolve(REPO_ROOT, '../shared');

/**
 * Absolute paths of `rel` files under the shared folder, or null when one is missing (the
 * caller skips). Throws when CI=true and a file is missing, so CI never silently skips.
 */
export function sharedFiles(...rel: string[]): string[] | null {
  const paths = rel.map((r) => join(SHARED_DIR, r));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return paths;
  if (process.env.CI === 'true') throw new Error(`shared files missing (CI=true): ${missing.join(', ')}`);
  return null;
}

/**
 * The Fashion-MNIST test split from Debian's dataset-fashion-mnist (or FMNIST_DIR), or null when
 * missing (the caller skips); throws when CI=true and it is missing.
 */
export function fashionMnistDir(): string | null {
  const dir = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
  if (existsSync(join(dir, 't10k-images-idx3-ubyte.gz'))) return dir;
  if (process.env.CI === 'true') throw new Error(`${dir} missing (CI=true): apt-get install dataset-fashion-mnist`);
  return null;
}
