// The default model worker: the literal `new Worker(new URL('./worker.js', import.meta.url))`
// is what bundlers (Vite, webpack 5, esbuild with plugins) detect to emit the worker script.
import { setDefaultWorker } from './client.js';

setDefaultWorker((i) => new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `xnor-web-${i}` }));
