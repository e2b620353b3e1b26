// A model's bytes from any source (URL, path, bytes, Blob, Response): progress, abort, integrity, an
// optional Cache API copy, HTML detection, typed errors. No global touched at import; Node's fs only for a path.

import { InputError, IntegrityError, ModelFetchError, ModelHtmlError, XnorError } from '../errors.js';

/** How much of a model has arrived. */
export interface LoadProgress {
  /** Bytes received so far. */
  loaded: number;
  /** Total bytes (Content-Length); undefined when the server does not say (or compresses). */
  total?: number;
}

export interface FetchModelOptions {
  /** Called with `{ loaded, total }` as the body arrives (at least once at 0 and once at the end). */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Called with each piece of the body as it arrives, in order (a Cache API hit: once, with all
   * of it); the pieces make up the returned bytes. Work on them overlaps the download. When the
   * length is known up front, each piece is a view of the returned bytes, at its place in them.
   */
  onChunk?: (chunk: Uint8Array) => void;
  /** Aborts the download; the promise rejects with `signal.reason` (an `AbortError` by default). */
  signal?: AbortSignal;
  /**
   * Expected digest of the file: `'sha256-<base64>'` (as in HTML SRI; sha384/sha512 too) or
   * 64 hex digits (SHA-256). A mismatch rejects with IntegrityError and nothing is cached.
   */
  integrity?: string;
  /**
   * Keep a copy in the Cache API (`true`: the cache named `xnor-web-models`; a string: that
   * cache). Keyed by content hash when `integrity` is given, else by URL. Ignored where there is
   * no Cache API (Node, insecure origins). Only a verified model body is ever stored.
   */
  cache?: boolean | string;
}

/**
 * Where a model comes from: a URL (relative URLs resolve against the page), its bytes, a Blob or
 * File, a fetch Response, or in Node a file path or `file:` URL.
 */
export type ModelSource = string | URL | ArrayBuffer | Uint8Array | Blob | Response;

export const DEFAULT_CACHE = 'xnor-web-models';
const HASH_KEY_ORIGIN = 'https://xnor-web.invalid/';

const ALGOS = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;
type Algo = keyof typeof ALGOS;
const HEX_ALGO: Record<number, Algo> = { 64: 'sha256', 96: 'sha384', 128: 'sha512' };

interface Digest {
  algo: Algo;
  /** Base64 of the digest bytes. */
  b64: string;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/** Parses `sha256-<base64>` (several space-separated tokens: the strongest wins) or hex. */
export function parseIntegrity(integrity: string): Digest {
  const tokens = String(integrity).trim().split(/\s+/).filter(Boolean);
  const parsed: Digest[] = [];
  for (const t of tokens) {
    const m = /^(sha256|sha384|sha512)-([A-Za-z0-9+/_-]+={0,2})(\?.*)?$/i.exec(t);
    if (m) {
      parsed.push({ algo: m[1].toLowerCase() as Algo, b64: normB64(m[2]) });
      continue;
    }
    if (/^[0-9a-f]+$/i.test(t) && HEX_ALGO[t.length]) {
      const bytes = new Uint8Array(t.length / 2);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
      parsed.push({ algo: HEX_ALGO[t.length], b64: toBase64(bytes) });
    }
  }
  if (parsed.length === 0)
    throw new InputError(
      `integrity "${integrity}" is not a digest: use 'sha256-<base64>' (e.g. from \`openssl dgst -sha256 -binary model.xnn | base64\`) or 64 hex digits (\`sha256sum model.xnn\`)`,
    );
  const rank = (d: Digest) => Object.keys(ALGOS).indexOf(d.algo);
  return parsed.reduce((a, b) => (rank(b) > rank(a) ? b : a));
}

const normB64 = (s: string) => {
  const t = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  return t + '='.repeat((4 - (t.length % 4)) % 4);
};

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s)
    throw new XnorError(
      'integrity checks need Web Crypto (crypto.subtle), which browsers only offer in secure contexts: serve the page over https or from localhost',
    );
  return s;
}

/** `<algo>-<base64>` of `bytes`. */
export async function digestOf(bytes: Uint8Array, algo: Algo = 'sha256'): Promise<string> {
  const d = await subtle().digest(ALGOS[algo], bytes as Uint8Array<ArrayBuffer>);
  return `${algo}-${toBase64(new Uint8Array(d))}`;
}

/** Throws IntegrityError unless `bytes` match `integrity`. */
export async function verifyIntegrity(bytes: Uint8Array, integrity: string, name: string): Promise<void> {
  const want = parseIntegrity(integrity);
  const actual = await digestOf(bytes, want.algo);
  if (actual !== `${want.algo}-${want.b64}`)
    throw new IntegrityError(
      `${name || '<bytes>'}: integrity mismatch: expected ${integrity.trim()}, got ${actual} (${bytes.byteLength} bytes). ` +
        'The file differs from the one the digest was made for: a changed or truncated upload, a proxy rewriting it, or a stale digest. ' +
        'Re-deploy the model or update `integrity`.',
      { url: name, expected: integrity.trim(), actual },
    );
}

export function htmlError(name: string): ModelHtmlError {
  return new ModelHtmlError(
    `${name}: an HTML page was served instead of a model (expected a .xnn file; check the URL or path). ` +
      "Dev servers answer unknown paths with index.html: put the .xnn file where the server serves it as is (Vite: public/; webpack: copy it to the output folder).",
    { url: name },
  );
}

/** True when `bytes` start like an HTML document. */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (i < bytes.length && i < 512 && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] !== 0x3c /* < */) return false;
  const head = new TextDecoder().decode(bytes.subarray(i, i + 256)).toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || /<(head|body|title|meta|script)\b/.test(head);
}

function cacheStorage(): CacheStorage | undefined {
  const c = (globalThis as { caches?: CacheStorage }).caches;
  return c && typeof c.open === 'function' ? c : undefined;
}

const cacheName = (cache: boolean | string | undefined) => (typeof cache === 'string' && cache ? cache : DEFAULT_CACHE);

/**
 * Deletes the model cache (`name`, default `xnor-web-models`). Resolves to whether a cache was
 * deleted; false where there is no Cache API.
 */
export async function clearCache(name: string = DEFAULT_CACHE): Promise<boolean> {
  const cs = cacheStorage();
  if (!cs) return false;
  try {
    return await cs.delete(name);
  } catch {
    return false;
  }
}

const aborted = (signal: AbortSignal | undefined, e: unknown): unknown => (signal?.aborted ? signal.reason : e);

/** Resolves a possibly relative URL against the page (or worker) location. */
export function resolveUrl(url: string | URL): string {
  if (url instanceof URL) return url.href;
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(url, base).href;
  } catch {
    throw new InputError(`"${url}" is not a URL${base ? '' : ' (relative URLs need a page to resolve against)'}`);
  }
}

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;
const NODE_FS = 'node:fs/promises';
const isBlob = (v: unknown): v is Blob => typeof Blob === 'function' && v instanceof Blob;
const isResponse = (v: unknown): v is Response => typeof Response === 'function' && v instanceof Response;

/**
 * The bytes of a model from any source, `name` (the URL or path; '' for bytes) for errors.
 * `integrity` is checked for every source (a URL's before anything is cached); an HTML page
 * is rejected with ModelHtmlError. Errors: ModelFetchError (network, HTTP status; `.url`,
 * `.status`), ModelHtmlError, IntegrityError, XnorError (an unreadable path); an abort rejects
 * with `signal.reason`.
 */
export async function readModelBytes(source: ModelSource, opts: FetchModelOptions = {}): Promise<{ bytes: Uint8Array; name: string }> {
  const { signal, integrity, onProgress, onChunk } = opts;
  signal?.throwIfAborted();
  const given = async (bytes: Uint8Array, name: string) => {
    if (looksLikeHtml(bytes)) throw htmlError(name || '<bytes>');
    if (integrity != null) await verifyIntegrity(bytes, integrity, name);
    onChunk?.(bytes);
    onProgress?.({ loaded: bytes.byteLength, total: bytes.byteLength });
    return { bytes, name };
  };
  if (source instanceof Uint8Array) return given(source, '');
  if (source instanceof ArrayBuffer) return given(new Uint8Array(source), '');
  if (isBlob(source)) return given(new Uint8Array(await source.arrayBuffer()), (source as File).name ?? '');
  if (isResponse(source)) return { bytes: await responseBytes(source, source.url || '<response>', opts), name: source.url || '<response>' };
  if (source instanceof URL) return source.protocol === 'file:' && isNode() ? given(await readPath(source, signal), source.href) : fetchUrl(source, opts);
  if (typeof source !== 'string') throw new InputError('model source must be a URL, a path, bytes, a Blob or a Response');
  if (/^file:/i.test(source) && isNode()) return given(await readPath(new URL(source), signal), source);
  if (/^(https?|data|blob):/i.test(source) || !isNode()) return fetchUrl(source, opts);
  return given(await readPath(source, signal), source);
}

async function readPath(path: string | URL, signal?: AbortSignal): Promise<Uint8Array> {
  // Not a literal, and marked: bundlers for the browser must not try to resolve it (Node only).
  const fs: typeof import('node:fs/promises') = await import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_FS);
  try {
    return await fs.readFile(path, { signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new XnorError(`cannot read model ${typeof path === 'string' ? path : path.href}: ${why}`);
  }
}

/** A URL's bytes, through the Cache API when `cache` is set. */
async function fetchUrl(url: string | URL, opts: FetchModelOptions): Promise<{ bytes: Uint8Array; name: string }> {
  const { onProgress, onChunk, signal, integrity, cache } = opts;
  const href = resolveUrl(url);
  const want = integrity != null ? parseIntegrity(integrity) : undefined;
  const cs = cache ? cacheStorage() : undefined;
  // Key: the content hash when known (the same model at any URL), else the URL itself.
  const key = want ? `${HASH_KEY_ORIGIN}${want.algo}/${encodeURIComponent(want.b64)}` : /^https?:/i.test(href) ? href : undefined;

  if (cs && key) {
    try {
      const store = await cs.open(cacheName(cache));
      const hit = await store.match(key);
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        signal?.throwIfAborted();
        let ok = !looksLikeHtml(bytes) && bytes.byteLength > 0;
        if (ok && integrity != null) ok = await verifyIntegrity(bytes, integrity, href).then(() => true, () => false);
        if (ok) {
          onChunk?.(bytes);
          onProgress?.({ loaded: bytes.byteLength, total: bytes.byteLength });
          return { bytes, name: href };
        }
        await store.delete(key); // corrupt or stale: fetch it again
      }
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      // Cache API unavailable here (opaque origin, storage disabled): go to the network.
    }
  }

  let res: Response;
  try {
    res = await fetch(href, { signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw new ModelFetchError(
      `cannot fetch model ${href}: ${(e as Error).message}. Check that the server is up and the URL is right; a cross-origin URL needs CORS headers (and CORP under COEP).`,
      { url: href },
    );
  }
  const bytes = await responseBytes(res, href, opts);

  if (cs && key) {
    try {
      const store = await cs.open(cacheName(cache));
      await store.put(
        key,
        new Response(bytes as Uint8Array<ArrayBuffer>, {
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
        }),
      );
    } catch {
      // quota exceeded, storage disabled: the model still loads
    }
  }
  return { bytes, name: href };
}

/** A response's body as a verified model: status, HTML and integrity checked. */
async function responseBytes(res: Response, href: string, opts: FetchModelOptions): Promise<Uint8Array> {
  const { onProgress, onChunk, signal, integrity } = opts;
  if (!res.ok) {
    const hint =
      res.status === 404
        ? 'no file at that URL: check the path, and that the .xnn file is deployed (Vite: put it in public/; webpack: copy it to the output folder)'
        : res.status === 401 || res.status === 403
          ? 'the server refused access'
          : 'the server failed to deliver it';
    res.body?.cancel().catch(() => undefined);
    throw new ModelFetchError(`cannot fetch model ${href}: HTTP ${res.status} ${res.statusText}`.trim() + ` (${hint})`, {
      url: href,
      status: res.status,
    });
  }
  if ((res.headers.get('content-type') ?? '').toLowerCase().includes('text/html')) {
    res.body?.cancel().catch(() => undefined);
    throw htmlError(href);
  }
  const len = Number(res.headers.get('content-length'));
  const total = Number.isFinite(len) && len > 0 && !res.headers.get('content-encoding') ? len : undefined;

  let bytes: Uint8Array;
  try {
    bytes = await readBody(res, total, onProgress, onChunk, signal);
  } catch (e) {
    throw aborted(signal, e);
  }
  signal?.throwIfAborted();
  if (looksLikeHtml(bytes)) throw htmlError(href);
  if (integrity != null) await verifyIntegrity(bytes, integrity, href);

  return bytes;
}

async function readBody(
  res: Response,
  total: number | undefined,
  onProgress: ((p: LoadProgress) => void) | undefined,
  onChunk: ((chunk: Uint8Array) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  if (!res.body || !(onProgress || onChunk)) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const onAbort = () => reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // With a known length the pieces go straight into place: no copy of the whole file at the end.
    let whole = total !== undefined ? new Uint8Array(total) : null;
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    onProgress?.({ loaded, total });
    for (;;) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      let piece = value;
      if (whole && loaded + value.byteLength <= whole.length) {
        whole.set(value, loaded);
        // the piece in place: a consumer may keep reading the file's bytes there (HeaderAhead)
        piece = whole.subarray(loaded, loaded + value.byteLength);
      } else {
        if (whole) chunks.push(whole.subarray(0, loaded));
        whole = null;
        chunks.push(value);
      }
      loaded += value.byteLength;
      onChunk?.(piece);
      onProgress?.({ loaded, total });
    }
    if (whole) return loaded === whole.length ? whole : whole.slice(0, loaded);
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(loaded);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
