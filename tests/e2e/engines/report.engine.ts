// The last project of the cross-engine suite (it depends on the engine projects):
//  - the harness's own check: one flipped bit in one probability is reported as exactly that
//    image (the engine projects also do it end to end through a real page, accuracy.engine.ts);
//  - the README's "Browser support" table, made from what the engine projects recorded: printed,
//    written to tests/.cache/engines/browser-support.md, and compared with the README's block
//    between <!-- engines:start --> and <!-- engines:end --> (versions compared by major number,
//    so a Debian security update does not fail CI). ENGINES_README=1 rewrites the block instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO_ROOT, sharedFiles } from '../../helpers/shared.js';
import { compareToReference } from './compare.js';
import { CACHE_DIR, DATASETS, nodeReference } from './reference.js';
import { type EngineResults, readResults } from './results.js';

test('harness self-test: one flipped bit in one engine\'s output fails the comparison, at that image', () => {
  test.skip(!sharedFiles(...DATASETS.cifar.shared), 'shared CIFAR-10 test batch missing');
  const ref = nodeReference('cifar', 'plain');
  const same = compareToReference(Float32Array.from(ref.probs), ref);
  expect(same.identical).toBe(ref.n);
  for (const [image, cls] of [
    [0, 0],
    [1234, 7],
    [ref.n - 1, ref.classes - 1],
  ]) {
    const p = Float32Array.from(ref.probs);
    new Uint32Array(p.buffer)[image * ref.classes + cls] ^= 1; // one ulp, far below any tolerance
    const cmp = compareToReference(p, ref);
    expect(cmp.identical).toBe(ref.n - 1);
    expect(cmp.mismatches).toHaveLength(1);
    expect(cmp.mismatches[0]).toMatch(new RegExp(`^#${image}: class ${cls} `));
    expect(cmp.maxAbsDiff).toBeGreaterThan(0);
    expect(cmp.maxAbsDiff).toBeLessThan(1e-6);
  }
});

const ROWS: { project: string; label: (r: EngineResults) => string }[] = [
  { project: 'chromium', label: (r) => r.version },
  { project: 'firefox', label: (r) => `${r.version} ESR` },
  { project: 'webkit', label: (r) => `${r.version} (MiniBrowser)` },
  { project: 'webkit-sab', label: (r) => `${r.version}, \`JSC_useSharedArrayBuffer=1\`` },
];

const APPS = ['demo', 'widget', 'widget camera', 'example vite', 'example webpack', 'example plain'];
const yes = (b: boolean | undefined) => (b ? 'yes' : 'no');

function bits(r: EngineResults, kind: 'cifar' | 'imagenet'): string {
  const a = r.accuracy ?? {};
  const p = a[`${kind}/plain`];
  const x = a[`${kind}/fma`];
  if (!p || !x) return 'not run';
  const relaxed = x.build === 'fma' ? `fma ${x.identical}/${x.images}` : `fma → plain ${x.identical}/${x.images}`;
  return `plain ${p.identical}/${p.images}, ${relaxed}`;
}

export function table(results: Record<string, EngineResults>): string {
  const lines = [
    '| engine (version tested) | SIMD | relaxed SIMD | threads | what we fall back to | bit-identical to Node: CIFAR-10 XNOR | bit-identical to Node: ImageNet ResNet-18 | memory after `dispose()` | apps that load and classify (demo, widget, examples/) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { project, label } of ROWS) {
    const r = results[project];
    if (!r?.capabilities) continue;
    const c = r.capabilities;
    const fallback = [
      !c.relaxedSimd && '`fma: true` → plain build',
      !c.threads && `\`threads: N\` → 1 thread (${c.sharedArrayBuffer ? 'not cross-origin isolated' : 'no SharedArrayBuffer'}; warned)`,
    ].filter(Boolean);
    const threads = c.threads ? `yes (${r.threads?.worker ?? '?'} in a worker, ${r.threads?.main ?? '?'} on the page)` : 'no';
    const mem = !r.memory
      ? 'not run'
      : r.memory.measured
        ? 'returns (per-cycle growth within ¼ of one classifier of plain workers\')'
        : `not measured: ${r.memory.why}`;
    const extra = project === 'webkit-sab';
    lines.push(
      `| ${label(r)} | ${yes(c.simd)} | ${yes(c.relaxedSimd)} | ${threads} | ${fallback.join('; ') || '—'} | ${extra ? '(capabilities and threads only)' : bits(r, 'cifar')} | ${extra ? '' : bits(r, 'imagenet')} | ${extra ? '' : mem} | ${extra ? '' : APPS.map((a) => `${(r.apps ?? []).includes(a) ? '✓' : '✗'} ${a}`).join(', ')} |`,
    );
  }
  return lines.join('\n');
}

const START = '<!-- engines:start -->';
const END = '<!-- engines:end -->';
/** Versions compared by major number only. */
const normalise = (s: string) => s.replace(/(\b(?:Chromium|Firefox|WebKitGTK) \d+)[\d.]*/g, '$1').replace(/-?\d+(?:\.\d+)? MiB/g, 'N MiB');

test('README "Browser support" table matches this run', () => {
  const results = readResults();
  for (const p of ['chromium', 'firefox', 'webkit']) {
    const r = results[p];
    expect(r, `no results from ${p}: run the whole suite (npm run test:engines)`).toBeDefined();
    expect(Object.keys(r.accuracy ?? {}).sort()).toEqual(['cifar/fma', 'cifar/plain', 'imagenet/fma', 'imagenet/plain']);
    expect(r.capabilities).toBeDefined();
    expect(r.memory).toBeDefined();
    expect(r.apps?.sort()).toEqual([...APPS].sort());
  }
  const generated = table(results);
  writeFileSync(join(CACHE_DIR, 'browser-support.md'), `${generated}\n`);
  console.log(`engines: browser support\n${generated}`);
  const readmePath = join(REPO_ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  expect(a, `README.md has no ${START} … ${END} block`).toBeGreaterThan(0);
  expect(b).toBeGreaterThan(a);
  const current = readme.slice(a + START.length, b).trim();
  if (process.env.ENGINES_README === '1') {
    writeFileSync(readmePath, `${readme.slice(0, a + START.length)}\n${generated}\n${readme.slice(b)}`);
    console.log('engines: README.md table rewritten');
    return;
  }
  // The verdicts, versions (major number) and counts must match.
  expect(normalise(current)).toBe(normalise(generated));
});
