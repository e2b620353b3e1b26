// `xnor-web bench --profile`: the per-step table, per-op totals and, for binary layers, the
// popcount work and roofline fraction. Structure only: no assertion depends on timing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { popcountWork, type Profile } from '../../src/cli/profile.js';
import type { XnnModel, XnnNode } from '../../src/format/xnn.js';
import { expectOneLineError, runCli } from './run-cli.js';
import { tinyGraph, tinyModelBytes } from './tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'xnor-profile-'));
const model = join(dir, 'tiny.xnn');
writeFileSync(model, tinyModelBytes());
const nodes = tinyGraph().nodes.map((n) => n.name);

describe('bench --profile', () => {
  it('--json: every node in exactly one step, per-op totals, binary conv words and roofline fraction', async () => {
    const r = await runCli(['bench', model, '--profile', '--runs', '3', '--warmup', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout.trim().split('\n').pop()!) as Profile;
    expect(p).toMatchObject({ model: 'tiny-test', backend: 'wasm', runs: 3, warmup: 1 });
    // the global strategy, then the one each binary-conv loop shape runs (per-shape race)
    const S = '(scalar|simd|hybrid)';
    expect(p.popcount).toMatch(new RegExp(`^${S} \\(3x3 c<=64 ${S}, 1x1 ${S}, other ${S}\\)$`));
    expect(['fma', 'mul+add']).toContain(p.float); // fma where the CLI's engine has relaxed SIMD (not Node 20 unflagged)
    expect(p.roofline.words_per_s).toBeGreaterThan(0);
    expect(p.steps.flatMap((s) => s.covers)).toEqual(nodes);
    for (const s of p.steps) expect(s.ms).toBeGreaterThanOrEqual(0);
    const sum = p.steps.reduce((a, s) => a + s.ms, 0);
    expect(p.total_ms).toBeCloseTo(sum, 2);
    const conv = p.steps.filter((s) => s.op === 'BinConv2D');
    expect(conv.map((s) => s.name)).toEqual(['bconv1']);
    // 8×8 output pixels × 8 output channels × 3×3 taps × 1 word of 8 channels.
    expect(conv[0]).toMatchObject({ words: 8 * 8 * 8 * 9, shape: 'c8 8x8 3x3/1 -> c8 8x8' });
    expect(conv[0].roofline_fraction).toBeGreaterThan(0);
    for (const s of p.steps.filter((s) => s.op !== 'BinConv2D')) expect(s).not.toHaveProperty('words');
    expect(Object.keys(p.ops).sort()).toEqual([...new Set(p.steps.map((s) => s.op))].sort());
    for (const [op, o] of Object.entries(p.ops)) expect(o.steps).toBe(p.steps.filter((s) => s.op === op).length);
  });

  it('text: one line per step, the roofline fraction of the binary conv, a per-op table', async () => {
    const r = await runCli(['bench', model, '--profile', '--runs', '2', '--warmup', '0']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^tiny-test \[wasm, popcount (scalar|simd|hybrid) \(3x3 c<=64 \w+, 1x1 \w+, other \w+\), float (fma|mul\+add)\]: [\d.]+ ms per inference \(median of 2, 0 warm-up\)/);
    expect(lines[1]).toMatch(/^popcount roofline on this machine: [\d.]+ Gwords\/s/);
    const stepLines = lines.filter((l) => /^\s+\d+ /.test(l));
    expect(stepLines.map((l) => l.trim().split(/\s+/)[1])).toEqual(['conv0', 'sign1', 'bconv1', 'gap', 'flat', 'fc']);
    expect(stepLines[2]).toMatch(/BinConv2D .* c8 8x8 3x3\/1 -> c8 8x8, (\d+\.\d\d of roofline|n\/a) \[(scalar|simd|hybrid)\]$/);
    const perOp = lines.slice(lines.indexOf('per op:') + 1).filter(Boolean);
    expect(perOp.map((l) => l.trim().split(/\s+/)[0]).sort()).toEqual(['BinConv2D', 'Binarize', 'Conv2D', 'Dense', 'Flatten', 'GlobalAvgPool']);
  });

  it('--profile with --backend reference is a usage error', async () => {
    expectOneLineError(await runCli(['bench', model, '--profile', '--backend', 'reference']), /--profile/);
  });
});

describe('popcountWork', () => {
  it('BinDense: N · O · ceil(K / 64) words', () => {
    const graph = { types: new Map([['x', { dtype: 'b1', shape: [2, 100] }], ['w', { dtype: 'b1', shape: [70, 100] }], ['y', { dtype: 'f32', shape: [2, 70] }]]) } as unknown as XnnModel;
    const node: XnnNode = { name: 'fc', op: 'BinDense', inputs: ['x', 'w', 'm', 'b'], outputs: ['y'], attrs: {} };
    expect(popcountWork(graph, node)).toEqual({ words: 2 * 70 * 2, shape: '100 -> 70' });
    expect(popcountWork(graph, { ...node, op: 'Dense' })).toBeNull();
  });
});
