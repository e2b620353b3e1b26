import { defineConfig } from 'vitest/config';
import { relaxedSimdSupported } from './src/wasm/features.js';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Node 20's V8 has relaxed SIMD behind a flag (Chromium ≥ 114 and Node ≥ 22 have it on): with
    // it the tests load the relaxed builds by default, as browsers do; the kernel tests run both.
    execArgv: relaxedSimdSupported() ? [] : ['--experimental-wasm-relaxed-simd'],
  },
});
