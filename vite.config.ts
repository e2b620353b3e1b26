import { defineConfig } from 'vite';

// Cross-origin isolation (COOP/COEP) is what lets a page use SharedArrayBuffer and so
// WASM threads; both the dev and the preview server send it.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
});
