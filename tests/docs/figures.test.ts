// The generated figures (scripts/docs-figures.ts): the speed figures in the README match
// bench/results/*.json, the model table models/*.xnn; the size regions exist (their values are checked by `npm run size`,
// which needs a build).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelRegions, readBenchResults, regionOf, replaceRegions, speedRegions } from '../../scripts/docs-figures.js';
import { REPO_ROOT } from '../helpers/shared.js';

const read = (f: string) => readFileSync(join(REPO_ROOT, f), 'utf8');

describe('generated figures', () => {
  const readme = read('README.md');
  it.each(Object.entries(speedRegions(readBenchResults(REPO_ROOT))))('README region %s is what bench/results/*.json give (npm run docs:figures)', (name, body) => {
    expect(regionOf(readme, name)).toBe(body);
  });

  it.each(Object.entries(modelRegions(REPO_ROOT)))('README region %s is what models/*.xnn give (npm run docs:figures)', (name, body) => {
    expect(regionOf(readme, name)).toBe(body);
  });

  it('the size regions exist', () => {
    expect(regionOf(readme, 'size')).toMatch(/^The browser entry .* \*\*\d+\.\d kB gzipped\*\*/s);
    expect(regionOf(read('docs/KERNELS.md'), 'wasm-size')).toMatch(/xnor\.wasm` \d+\.\d kB/);
  });

  it('replacing a region keeps the text around it, and a missing region is an error', () => {
    const text = 'a\n<!-- figures:x:start -->\nold\n<!-- figures:x:end -->\nb';
    expect(replaceRegions(text, 't.md', { x: 'new' })).toBe('a\n<!-- figures:x:start -->\nnew\n<!-- figures:x:end -->\nb');
    expect(() => replaceRegions(text, 't.md', { y: 'new' })).toThrow('t.md has no <!-- figures:y:start --> … <!-- figures:y:end --> markers');
  });
});
