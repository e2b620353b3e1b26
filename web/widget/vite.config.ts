// The embeddable widget: one ES module, dist/widget/xnor-classifier.js, defining
// <xnor-classifier>. Its worker is inlined (a blob: URL) and xnor.wasm (18 kB) is inlined
// as a data: URL, so the single file is all a page needs. `npm run build` runs this.
import { copyFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Plugin, defineConfig } from 'vite';
import { REPO, isolation } from '../vite-shared.js';

// The widget's model worker is inlined, so it cannot start kernel workers (they need a script
// URL of their own) and runs one thread; it asks for the plain build (relaxedSimd: false: the
// relaxed one is a little faster, with the same bits). Of the wasm builds src/wasm/load.ts can
// pick it needs only xnor.wasm: the others would otherwise be inlined too (~11 KB gzipped
// each); here asking for one throws WasmLoadError (the thread pool turns that into one thread).
function plainSingleThreadBuildOnly(): Plugin {
  return {
    name: 'widget-release-builds-only',
    enforce: 'pre',
    transform(code, id) {
      if (!id.replace(/\\/g, '/').endsWith('/src/wasm/load.ts')) return null;
      let n = 0;
      const out = code.replace(/new URL\('\.\/(xnor\.(?:mt\.relaxed|mt\.fma|mt|relaxed|fma)\.wasm)', import\.meta\.url\)/g, (_m, file: string) => {
        n++;
        return `(() => { throw new WasmLoadError('${file} is not bundled in the xnor-classifier widget'); })()`;
      });
      if (n !== 5) this.error(`expected 5 wasm URLs other than xnor.wasm in src/wasm/load.ts, found ${n}: update this plugin`);
      return out;
    },
  };
}

export default defineConfig({
  root: resolve(REPO, 'web/widget'),
  publicDir: false,
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es', plugins: () => [plainSingleThreadBuildOnly()], rolldownOptions: { output: { codeSplitting: false } } },
  build: {
    outDir: resolve(REPO, 'dist/widget'),
    emptyOutDir: true,
    target: 'es2022',
    // xnor.wasm is inlined into the worker (plainSingleThreadBuildOnly drops the other builds).
    assetsInlineLimit: (file: string) => /xnor\.wasm$/.test(file),
    lib: { entry: resolve(REPO, 'web/widget/xnor-classifier.ts'), formats: ['es'], fileName: () => 'xnor-classifier.js' },
  },
  plugins: [
    plainSingleThreadBuildOnly(),
    {
      name: 'widget-example',
      writeBundle() {
        const out = resolve(REPO, 'dist/widget');
        mkdirSync(out, { recursive: true });
        for (const f of ['example.html', 'example.js', 'example.css']) copyFileSync(resolve(REPO, 'web/widget', f), resolve(out, f));
        // The example's model and photo sit beside it: serving dist/widget/ alone is enough.
        copyFileSync(resolve(REPO, 'models/imagenet-resnet18.xnn'), resolve(out, 'imagenet-resnet18.xnn'));
        copyFileSync(resolve(REPO, 'web/demo/public/samples/chelsea.png'), resolve(out, 'chelsea.png'));
      },
    },
  ],
});
