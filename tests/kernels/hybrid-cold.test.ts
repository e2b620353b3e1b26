// The hybrid popcount (assembly/bconv/hybrid.ts) in V8's baseline (Liftoff) and optimised
// (TurboFan) code alone, in child Node processes: Node 20's Liftoff miscomputes one relaxed-SIMD
// instruction (relaxed_dot), so the relaxed build's relaxed_swizzle is checked cold as well as
// hot, and the plain build's swizzle too. hybrid-cold.mjs compares hybrid with scalar.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./hybrid-cold.mjs', import.meta.url));
const wasm = (f: string) => fileURLToPath(new URL(`../../src/wasm/${f}`, import.meta.url));
// the flag vitest.config.ts gives Node 20 (relaxed SIMD is on by default from Node 22)
const relaxedFlag = process.execArgv.filter((a) => a === '--experimental-wasm-relaxed-simd');

describe.each(['xnor.relaxed.wasm', 'xnor.wasm'])('hybrid == scalar in %s', (file) => {
  for (const tier of ['--liftoff-only', '--no-liftoff'])
    it(`with ${tier}`, () => {
      const r = spawnSync(process.execPath, [...relaxedFlag, tier, '--import', 'tsx', script, wasm(file)], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).not.toMatch(/false/);
      expect(r.status).toBe(0);
    });
});
