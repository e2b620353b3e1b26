// loadModel's network options against a local server: progress from the body, abort, SHA-256
// integrity, the Cache API copy (an in-memory CacheStorage stands in: Node has none), and the
// typed errors for a 404 and an HTML page. Also getCapabilities() and the threads warning.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetThreadsWarning } from '../../src/capabilities.js';
import {
  clearCache,
  getCapabilities,
  InputError,
  IntegrityError,
  loadModel,
  ModelFetchError,
  ModelFormatError,
  ModelHtmlError,
  type LoadProgress,
} from '../../src/index.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { expectRejects } from '../helpers/errors.js';

const MODEL = readFileSync(join(REPO_ROOT, 'models/fashion-mnist-xnor.xnn'));
const SRI = `sha256-${createHash('sha256').update(MODEL).digest('base64')}`;
const HEX = createHash('sha256').update(MODEL).digest('hex');
const CHUNK = 16 * 1024;
const hits = new Map<string, number>();

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/model.xnn' || path === '/copy.xnn') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': MODEL.length });
      res.end(MODEL);
    } else if (path === '/slow.xnn' || path === '/stall.xnn') {
      // The model in 16 KiB chunks 20 ms apart; /stall.xnn stops after the first chunk.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': MODEL.length });
      let o = 0;
      const tick = () => {
        if (res.destroyed) return;
        res.write(MODEL.subarray(o, (o += CHUNK)));
        if (path === '/stall.xnn') return;
        if (o >= MODEL.length) res.end();
        else setTimeout(tick, 20);
      };
      tick();
    } else if (path === '/spa.xnn') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><head><title>app</title></head><body>app</body></html>');
    } else if (path === '/sniffed.xnn') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end('\n<!DOCTYPE html><html><body>fallback</body></html>');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

describe('getCapabilities (before any model)', () => {
  it('reports SIMD, no isolation in Node, popcount undefined until a model loads', () => {
    const c = getCapabilities();
    expect(c.simd).toBe(true);
    expect(typeof c.relaxedSimd).toBe('boolean');
    expect(c.crossOriginIsolated).toBe(false);
    expect(c.threads).toBe(true); // Node: shared memory and atomics, no isolation needed
    expect(c.popcount).toBeUndefined();
  });
});

describe('loadModel(url, options)', () => {
  it('fetches a model; progress events end at {loaded: total, total}', async () => {
    const events: LoadProgress[] = [];
    const m = await loadModel(`${base}/slow.xnn`, { onProgress: (p) => events.push({ ...p }) });
    expect(m.info.labels).toHaveLength(10);
    expect(events.length).toBeGreaterThan(3);
    expect(events[0]).toEqual({ loaded: 0, total: MODEL.length });
    expect(events.at(-1)).toEqual({ loaded: MODEL.length, total: MODEL.length });
    for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
    m.dispose();
  });

  it('popcount is reported once a WASM model has loaded', () => {
    expect(['scalar', 'simd']).toContain(getCapabilities().popcount);
  });

  it('bytes and paths report progress once', async () => {
    const events: LoadProgress[] = [];
    (await loadModel(new Uint8Array(MODEL), { onProgress: (p) => events.push(p), backend: 'reference' })).dispose();
    expect(events).toEqual([{ loaded: MODEL.length, total: MODEL.length }]);
  });

  it('an AbortSignal aborts mid-body with an AbortError (or the given reason)', async () => {
    const ac = new AbortController();
    const p = loadModel(`${base}/stall.xnn`, { signal: ac.signal, onProgress: (e) => e.loaded > 0 && ac.abort() });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });

    const ac2 = new AbortController();
    const reason = new Error('user went away');
    const p2 = loadModel(`${base}/stall.xnn`, { signal: ac2.signal });
    setTimeout(() => ac2.abort(reason), 50);
    await expect(p2).rejects.toBe(reason);

    await expect(loadModel(`${base}/model.xnn`, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('integrity: sha256-<base64> and hex pass; a mismatch is an IntegrityError', async () => {
    (await loadModel(`${base}/model.xnn`, { integrity: SRI, backend: 'reference' })).dispose();
    (await loadModel(`${base}/model.xnn`, { integrity: HEX, backend: 'reference' })).dispose();
    (await loadModel(new Uint8Array(MODEL), { integrity: SRI, backend: 'reference' })).dispose();
    const wrong = `sha256-${createHash('sha256').update('other').digest('base64')}`;
    const err = await loadModel(`${base}/model.xnn`, { integrity: wrong }).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.name).toBe('IntegrityError');
    expect(err.url).toBe(`${base}/model.xnn`);
    expect(err.expected).toBe(wrong);
    expect(err.actual).toBe(SRI);
    expect(err.message).toMatch(/integrity mismatch.*update `integrity`/s);
    await expectRejects(
      loadModel(new Uint8Array(MODEL), { integrity: HEX.replace(/^./, (c) => (c === '0' ? '1' : '0')) }),
      IntegrityError,
      /^<bytes>: integrity mismatch: expected [0-9a-f]{64}, got sha256-/,
    );
    await expectRejects(loadModel(`${base}/model.xnn`, { integrity: 'md5-abc' }), InputError, /^integrity "md5-abc" is not a digest/);
  });

  it('HTTP 404 → ModelFetchError with the URL, the status and what to do', async () => {
    const err = await loadModel(`${base}/missing.xnn`).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFetchError);
    expect(err).toMatchObject({ name: 'ModelFetchError', status: 404, url: `${base}/missing.xnn` });
    expect(err.message).toMatch(/HTTP 404.*check the path/);
  });

  it('a network failure → ModelFetchError', async () => {
    const err = await loadModel('http://127.0.0.1:1/model.xnn').catch((e) => e);
    expect(err).toMatchObject({ name: 'ModelFetchError', url: 'http://127.0.0.1:1/model.xnn' });
  });

  it('an HTML page (by content-type or by content) → ModelHtmlError, a ModelFormatError', async () => {
    for (const path of ['/spa.xnn', '/sniffed.xnn']) {
      const err = await loadModel(`${base}${path}`).catch((e) => e);
      expect(err).toBeInstanceOf(ModelHtmlError);
      expect(err).toBeInstanceOf(ModelFormatError);
      expect(err).toMatchObject({ name: 'ModelHtmlError', url: `${base}${path}` });
      expect(err.message).toMatch(/an HTML page was served instead of a model.*public\//);
    }
  });
});

/** A minimal in-memory CacheStorage (match / put / delete by URL). */
function fakeCaches() {
  const stores = new Map<string, Map<string, ArrayBuffer>>();
  const key = (k: RequestInfo | URL) => (typeof k === 'string' ? k : k instanceof URL ? k.href : k.url);
  return {
    stores,
    async open(name: string) {
      if (!stores.has(name)) stores.set(name, new Map());
      const s = stores.get(name)!;
      return {
        async match(k: RequestInfo | URL) {
          const b = s.get(key(k));
          return b ? new Response(b.slice(0)) : undefined;
        },
        async put(k: RequestInfo | URL, r: Response) {
          s.set(key(k), await r.arrayBuffer());
        },
        async delete(k: RequestInfo | URL) {
          return s.delete(key(k));
        },
      };
    },
    async delete(name: string) {
      return stores.delete(name);
    },
  };
}

describe('cache option (Cache API)', () => {
  afterEach(() => {
    delete (globalThis as { caches?: unknown }).caches;
  });

  it('without a Cache API it is ignored and clearCache() resolves false', async () => {
    (await loadModel(`${base}/model.xnn`, { cache: true, backend: 'reference' })).dispose();
    expect(await clearCache()).toBe(false);
  });

  it('stores verified models by URL or content hash; never errors or HTML; clearCache empties it', async () => {
    const c = fakeCaches();
    (globalThis as { caches?: unknown }).caches = c;
    hits.clear();
    (await loadModel(`${base}/model.xnn`, { cache: true, backend: 'reference' })).dispose();
    const events: LoadProgress[] = [];
    (await loadModel(`${base}/model.xnn`, { cache: true, backend: 'reference', onProgress: (p) => events.push(p) })).dispose();
    expect(hits.get('/model.xnn')).toBe(1);
    expect(events).toEqual([{ loaded: MODEL.length, total: MODEL.length }]);
    expect([...c.stores.get('xnor-web-models')!.keys()]).toEqual([`${base}/model.xnn`]);

    // Keyed by content hash: the same bytes at another URL come from the cache.
    (await loadModel(`${base}/model.xnn`, { cache: 'mine', integrity: SRI, backend: 'reference' })).dispose();
    (await loadModel(`${base}/copy.xnn`, { cache: 'mine', integrity: SRI, backend: 'reference' })).dispose();
    expect(hits.get('/copy.xnn')).toBeUndefined();

    // Errors, HTML and integrity failures are not stored.
    await expectRejects(loadModel(`${base}/missing.xnn`, { cache: true }), ModelFetchError, /^cannot fetch model http:\/\/127\.0\.0\.1:\d+\/missing\.xnn: HTTP 404 Not Found/);
    await expectRejects(loadModel(`${base}/spa.xnn`, { cache: true }), ModelHtmlError, /\/spa\.xnn: an HTML page was served instead of a model/);
    await expectRejects(loadModel(`${base}/sniffed.xnn`, { cache: true }), ModelHtmlError, /\/sniffed\.xnn: an HTML page was served instead of a model/);
    await expectRejects(
      loadModel(`${base}/copy.xnn`, { cache: 'bad', integrity: HEX.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }),
      IntegrityError,
      /\/copy\.xnn: integrity mismatch: expected [0-9a-f]{64}, got sha256-/,
    );
    expect([...c.stores.get('xnor-web-models')!.keys()]).toEqual([`${base}/model.xnn`]);
    expect(c.stores.get('bad')?.size ?? 0).toBe(0);

    // A corrupted entry is dropped and fetched again.
    c.stores.get('xnor-web-models')!.set(`${base}/model.xnn`, new TextEncoder().encode('<html><body>x</body></html>').buffer);
    (await loadModel(`${base}/model.xnn`, { cache: true, backend: 'reference' })).dispose();
    expect(hits.get('/model.xnn')).toBe(3);

    expect(await clearCache()).toBe(true);
    expect(c.stores.has('xnor-web-models')).toBe(false);
    expect(await clearCache('mine')).toBe(true);
  });
});

describe('threads', () => {
  it('asking for threads on a page that is not cross-origin isolated warns once and runs', async () => {
    const g = globalThis as { window?: unknown; crossOriginIsolated?: boolean };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    resetThreadsWarning();
    try {
      (await loadModel(new Uint8Array(MODEL), { threads: 4, backend: 'reference' })).dispose(); // Node: fine
      expect(warn).not.toHaveBeenCalled();
      g.window = g;
      g.crossOriginIsolated = false;
      expect(getCapabilities().threads).toBe(false);
      (await loadModel(new Uint8Array(MODEL), { threads: 4, backend: 'reference' })).dispose();
      (await loadModel(new Uint8Array(MODEL), { threads: true, backend: 'reference' })).dispose();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/not cross-origin isolated.*single-threaded/s);
    } finally {
      delete g.window;
      delete g.crossOriginIsolated;
      warn.mockRestore();
    }
  });
});
