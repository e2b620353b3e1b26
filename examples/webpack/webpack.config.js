// No loaders or plugins: webpack 5 turns `new URL('./xnor.wasm', import.meta.url)` into an
// emitted asset and `new Worker(new URL('./worker.js', import.meta.url))` into a worker chunk.
import { fileURLToPath } from 'node:url';

export default {
  mode: 'production',
  entry: './src/main.js',
  output: {
    path: fileURLToPath(new URL('./dist', import.meta.url)),
    filename: 'main.js',
    clean: true,
  },
  performance: { hints: false },
};
