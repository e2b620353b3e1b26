// Shared by the demo's and the widget's Vite configs: cross-origin isolation headers and the
// plugin that serves (dev/preview) and emits (build) the .xnn models.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** COOP/COEP: cross-origin isolation, so SharedArrayBuffer (WASM threads) is available. */
export const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export interface ModelEntry {
  /** URL relative to the app root, e.g. "models/build/imagenet-resnet18.xnn". */
  url: string;
  name: string;
  bytes: number;
  /** 'shipped' (models/*.xnn, committed) or 'built' (models/build/, from `npm run models`). */
  kind: 'shipped' | 'built';
}

/** The default first: the shipped ImageNet ResNet-18 (everyday photos, 1000 classes). */
const PREFERRED = ['models/imagenet-resnet18.xnn', 'models/cifar10-xnor.xnn', 'models/fashion-mnist-xnor.xnn'];

export function listModels(): ModelEntry[] {
  const out: ModelEntry[] = [];
  for (const [dir, kind] of [['models', 'shipped'], ['models/build', 'built']] as const) {
    const abs = join(REPO, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs).sort())
      // models/build/imagenet-resnet18.xnn (`npm run models`) is the shipped file again.
      if (f.endsWith('.xnn') && !(kind === 'built' && existsSync(join(REPO, 'models', f)))) out.push({ url: `${dir}/${f}`, name: f.replace(/\.xnn$/, ''), bytes: statSync(join(abs, f)).size, kind });
  }
  const rank = (e: ModelEntry) => {
    const i = PREFERRED.indexOf(e.url);
    return i < 0 ? PREFERRED.length : i;
  };
  return out.sort((a, b) => rank(a) - rank(b));
}

function serveModels(req: IncomingMessage, res: ServerResponse, next: () => void) {
  const path = decodeURIComponent((req.url ?? '').split('?')[0]).replace(/^\/+/, '');
  if (path === 'index.json') {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(listModels()));
    return;
  }
  const entry = listModels().find((m) => m.url === `models/${path}`);
  if (!entry) return next();
  const file = join(REPO, entry.url);
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(statSync(file).size));
  for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
  res.end(readFileSync(file));
}

/** Serves /models/index.json and /models/**.xnn in dev/preview; emits them into the build. */
export function modelsPlugin(opts: { emit?: boolean } = {}): Plugin {
  return {
    name: 'xnor-models',
    configureServer(server) {
      server.middlewares.use('/models', serveModels);
    },
    configurePreviewServer(server) {
      server.middlewares.use('/models', serveModels);
    },
    generateBundle() {
      if (opts.emit === false) return;
      const models = listModels();
      for (const m of models) this.emitFile({ type: 'asset', fileName: m.url, source: readFileSync(join(REPO, m.url)) });
      this.emitFile({ type: 'asset', fileName: 'models/index.json', source: JSON.stringify(models) });
    },
  };
}
