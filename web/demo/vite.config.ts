// The demo app (web/demo → dist/demo). `npm start` builds it and serves it; `npm run demo:dev`
// runs the dev server. Both send COOP/COEP.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { REPO, isolation, modelsPlugin } from '../vite-shared.js';

export default defineConfig({
  root: resolve(REPO, 'web/demo'),
  base: './',
  plugins: [modelsPlugin()],
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  worker: { format: 'es' },
  build: {
    outDir: resolve(REPO, 'dist/demo'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { index: resolve(REPO, 'web/demo/index.html'), api: resolve(REPO, 'web/demo/api.html') },
    },
  },
});
