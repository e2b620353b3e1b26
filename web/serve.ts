// A tiny static server for the built demo and widget (dist/), with COOP/COEP so pages are
// cross-origin isolated. Used by `npm start` and by the Playwright global setup.
//   node --import tsx web/serve.ts [--port 5173] [--root dist]
import { type Stats, existsSync, readFileSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.xnn': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

export const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const statOf = (file: string): Stats | undefined => statSync(file, { throwIfNoEntry: false });

// Bodies are answered from memory in one write, not streamed in 64 KiB reads: a cold start
// measures the model's download from this server (bench/results/code-notes.md, "Cold start").
// An entry is reused while the file's size and mtime are unchanged, so a rebuilt file is re-read.
const bodies = new Map<string, { size: number; mtimeMs: number; bytes: Buffer }>();
function contentOf(file: string, st: Stats): Buffer {
  const hit = bodies.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.bytes;
  const bytes = readFileSync(file);
  bodies.set(file, { size: st.size, mtimeMs: st.mtimeMs, bytes });
  return bytes;
}

/** Serves `root` on 127.0.0.1:`port` (0: a free port). `/` redirects to the demo, or to the
 * widget example when `root` is dist/widget/. */
export function serve(root: string, port = 0): Promise<{ server: Server; url: string }> {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/' && !existsSync(join(base, 'index.html'))) {
      const home = existsSync(join(base, 'demo/index.html')) ? '/demo/' : existsSync(join(base, 'example.html')) ? '/example.html' : null;
      if (home) {
        res.writeHead(302, { Location: home }).end();
        return;
      }
    }
    let file = normalize(join(base, path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    let st = statOf(file);
    if (st?.isDirectory()) {
      if (!path.endsWith('/')) {
        res.writeHead(301, { Location: path + '/' }).end();
        return;
      }
      file = join(file, 'index.html');
      st = statOf(file);
    }
    if (!st?.isFile()) {
      // Like many static hosts: an HTML 404 page (what a wrong model URL gets).
      res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', ...ISOLATION });
      res.end('<!doctype html><title>404</title><h1>Not found</h1>');
      return;
    }
    const body = req.method === 'HEAD' ? null : contentOf(file, st);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': body?.length ?? st.size,
      'Cache-Control': 'no-cache',
      ...ISOLATION,
    });
    res.end(body ?? undefined);
  });
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      // The asked-for port is taken: take any free one rather than fail.
      if (e.code === 'EADDRINUSE' && port !== 0) server.listen(0, '127.0.0.1');
      else fail(e);
    });
    server.listen(port, '127.0.0.1');
    server.once('listening', () => {
      const { port: p } = server.address() as AddressInfo;
      ok({ server, url: `http://127.0.0.1:${p}` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const root = arg('root', resolve(fileURLToPath(import.meta.url), '../../dist'));
  const { url } = await serve(root, Number(arg('port', process.env.PORT ?? '5173')));
  if (existsSync(join(root, 'demo/index.html'))) console.log(`xnor-web demo:  ${url}/demo/`);
  if (existsSync(join(root, 'widget/example.html'))) console.log(`widget example: ${url}/widget/example.html`);
  if (existsSync(join(root, 'example.html'))) console.log(`widget example: ${url}/example.html`);
  console.log(`(serving ${root} with COOP/COEP; Ctrl-C to stop)`);
}
