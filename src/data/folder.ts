// A folder of images with `labels.tsv`: one line per image, `file<TAB>class index[<TAB>note]`.
// Blank lines and lines starting with `#` are ignored; a class of −1 means "no single class".

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readImageFile } from '../image/decode-node.js';
import type { Dataset, Sample } from './types.js';

export interface LabelRow {
  file: string;
  label: number;
}

export function parseLabelsTsv(text: string, source = 'labels.tsv'): LabelRow[] {
  const rows: LabelRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const cols = line.split('\t');
    const label = Number(cols[1]);
    if (cols.length < 2 || cols[0] === '' || cols[1].trim() === '' || !Number.isInteger(label) || label < -1)
      throw new InputError(`${source}:${i + 1}: expected "file<TAB>class index", got ${JSON.stringify(line.slice(0, 80))}`);
    rows.push({ file: cols[0], label });
  });
  return rows;
}

export async function openFolder(dir: string): Promise<Dataset> {
  const tsv = join(dir, 'labels.tsv');
  let text: string;
  try {
    text = await readFile(tsv, 'utf8');
  } catch {
    throw new InputError(`${dir}: no labels.tsv in this folder`);
  }
  const rows = parseLabelsTsv(text, tsv);
  if (rows.length === 0) throw new InputError(`${tsv}: no images listed`);
  return {
    kind: 'folder',
    path: dir,
    size: rows.length,
    async *[Symbol.asyncIterator](): AsyncGenerator<Sample> {
      for (const r of rows) yield { name: r.file, image: await readImageFile(join(dir, r.file)), label: r.label };
    },
  };
}
