// The embeddable widget: one ES module, dist/widget/xnor-classifier.js, defining
// <xnor-classifier>. Its worker is inlined (a blob: URL) and xnor.wasm (18 kB) is inlined
// as a data: URL, so the single file is all a page needs. `npm run build` runs this.
import { copyFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { REPO, isolation } from '../vite-shared.js';

export default defineConfig({
  root: resolve(REPO, 'web/widget'),
  publicDir: false,
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es', rolldownOptions: { output: { codeSplitting: false } } },
  build: {
    outDir: resolve(REPO, 'dist/widget'),
    emptyOutDir: true,
    target: 'es2022',
    // xnor.wasm is inlined into the worker; the debug build (never used by the widget) is not.
    assetsInlineLimit: (file: string) => /xnor\.wasm$/.test(file),
    lib: { entry: resolve(REPO, 'web/widget/xnor-classifier.ts'), formats: ['es'], fileName: () => 'xnor-classifier.js' },
  },
  plugins: [
    {
      name: 'widget-example',
      writeBundle() {
        const out = resolve(REPO, 'dist/widget');
        mkdirSync(out, { recursive: true });
        for (const f of ['example.html', 'example.js', 'example.css']) copyFileSync(resolve(REPO, 'web/widget', f), resolve(out, f));
      },
    },
  ],
});
