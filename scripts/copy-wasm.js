// tsc does not copy assets; the .wasm files and the plain-JS kernel worker must sit next to
// dist/wasm/load.js so that `new URL('./xnor.wasm', import.meta.url)` (and xnor.mt.wasm,
// kernel-worker.js) resolve the same way in src/ and dist/.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
mkdirSync('dist/wasm', { recursive: true });
for (const f of readdirSync('src/wasm'))
  if (f.endsWith('.wasm') || f === 'kernel-worker.js') copyFileSync(`src/wasm/${f}`, `dist/wasm/${f}`);
