// Builds the bench page (bench/page → bench/.cache/site). onnxruntime-web is resolved to its
// build that loads ort-wasm-simd-threaded.{mjs,wasm} from env.wasm.wasmPaths at run time
// (served from node_modules by bench/site.ts) instead of inlining them.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const conditions = ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions];

export default defineConfig({
  root: resolve(REPO, 'bench/page'),
  base: './',
  logLevel: 'warn',
  resolve: { conditions },
  worker: { format: 'es' },
  build: {
    outDir: resolve(REPO, 'bench/.cache/site'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    // TF.js starts its pthreads from the source text of its Emscripten factory
    // (Function.prototype.toString): minified, that text refers to renamed outer names.
    minify: false,
    // No "slow plugin" report on a loaded machine: stdout is the benchmark's.
    rollupOptions: { checks: { bundlerTimings: false } },
  },
});
