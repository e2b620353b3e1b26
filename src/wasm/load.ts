// Loads xnor.wasm in Node and in browsers. The literal `new URL('./xnor.wasm', import.meta.url)`
// is what bundlers (Vite, webpack, esbuild) detect to emit the asset; keep it literal.
// Nothing here touches browser or Node globals at import time; Node's fs is imported lazily.

import { SimdUnsupportedError, WasmLoadError } from '../errors.js';
import { simdSupported } from './features.js';

export type WasmSource = URL | string | ArrayBuffer | Uint8Array | WebAssembly.Module;

export interface LoadOptions {
  /** Where to get the module from instead of the default asset. */
  source?: WasmSource;
  /** Load xnor.debug.wasm (asserts on; for tests). Ignored when `source` is given. */
  debug?: boolean;
}

function defaultUrl(debug: boolean): URL {
  return debug ? new URL('./xnor.debug.wasm', import.meta.url) : new URL('./xnor.wasm', import.meta.url);
}

const imports: WebAssembly.Imports = {
  env: {
    // Only the debug build can call this (failed assert); the release build has no imports.
    abort(_msg: number, _file: number, line: number, col: number): never {
      throw new Error(`xnor.wasm: assertion failed at ${line}:${col}`);
    },
  },
};

function isNodeFileUrl(url: URL): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return url.protocol === 'file:' && !!proc?.versions?.node;
}

/** The bytes of a base64 data: URL, decoded here: fetch(data:…) needs connect-src data: under a CSP. */
function dataUrlBytes(url: URL): Uint8Array | null {
  const m = /^data:[^,]*;base64,(.*)$/s.exec(url.href);
  if (!m) return null;
  const bin = atob(m[1]);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const HELP = 'serve xnor.wasm next to the xnor-web module, or pass the wasm option (a URL, bytes or a WebAssembly.Module)';

/** Names what was fetched when it is not a WebAssembly module (an HTML fallback page, mostly). */
function checkWasmBytes(bytes: Uint8Array, where: string): void {
  if (bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) return;
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (head.startsWith('<'))
    throw new WasmLoadError(`${where} is an HTML page, not xnor.wasm (a dev server's index.html fallback?): ${HELP}`);
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new WasmLoadError(`${where} is not a WebAssembly module (it starts with ${hex || 'nothing'}): ${HELP}`);
}

/** Turns a compile/instantiate failure into a WasmLoadError that says what to do. */
function explain(e: unknown, where: string): Error {
  if (e instanceof WasmLoadError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (/content.security.policy|unsafe-eval/i.test(msg))
    return new WasmLoadError(
      `compiling ${where} was refused by the page's Content-Security-Policy: add 'wasm-unsafe-eval' to script-src (${msg})`,
    );
  if (e instanceof RangeError || /out of memory/i.test(msg))
    return new WasmLoadError(`out of memory while instantiating ${where}: close other tabs or models (${msg})`);
  return new WasmLoadError(`${where} could not be instantiated: ${msg}`);
}

async function instantiateBytes(bytes: Uint8Array, where: string): Promise<WebAssembly.Instance> {
  checkWasmBytes(bytes, where);
  try {
    return (await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, imports)).instance;
  } catch (e) {
    throw explain(e, where);
  }
}

async function instantiateUrl(url: URL): Promise<WebAssembly.Instance> {
  const inline = url.protocol === 'data:' ? dataUrlBytes(url) : null;
  if (inline) return instantiateBytes(inline, 'the inlined xnor.wasm');
  if (isNodeFileUrl(url)) {
    // Not a literal, and marked: browser bundlers must leave this Node-only import alone.
    const fsp = 'node:fs/promises';
    const { readFile }: typeof import('node:fs/promises') = await import(/* webpackIgnore: true */ /* @vite-ignore */ fsp);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(url);
    } catch (e) {
      throw new WasmLoadError(`cannot read ${url.href}: ${(e as Error).message} (run \`npm run build:wasm\`?)`);
    }
    return instantiateBytes(bytes, url.href);
  }
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      return (await WebAssembly.instantiateStreaming(fetch(url), imports)).instance;
    } catch {
      // wrong MIME type, HTML served instead, CSP: the byte path below says which
    }
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new WasmLoadError(`fetching ${url.href} failed: ${(e as Error).message}`);
  }
  if (!res.ok) throw new WasmLoadError(`fetching ${url.href} failed with HTTP ${res.status}: ${HELP}`);
  return instantiateBytes(new Uint8Array(await res.arrayBuffer()), url.href);
}

/** Instantiates the kernels module and runs its start function. */
export async function loadWasm(options: LoadOptions = {}): Promise<WebAssembly.Instance> {
  if (!simdSupported())
    throw new SimdUnsupportedError(
      'this browser has no WebAssembly SIMD, which xnor-web needs (Chrome/Edge ≥ 91, Firefox ≥ 89, Safari ≥ 16.4, Node ≥ 16.4)',
    );
  const src = options.source ?? defaultUrl(!!options.debug);
  let instance: WebAssembly.Instance;
  if (src instanceof WebAssembly.Module) {
    instance = await WebAssembly.instantiate(src, imports).catch((e) => Promise.reject(explain(e, 'the given WebAssembly.Module')));
  } else if (src instanceof URL || typeof src === 'string') {
    // webpackIgnore: a caller's URL is no build-time asset (webpack warns on the expression).
    instance = await instantiateUrl(typeof src === 'string' ? new URL(/* webpackIgnore: true */ src, import.meta.url) : src);
  } else {
    instance = await instantiateBytes(src instanceof Uint8Array ? src : new Uint8Array(src), 'the given wasm bytes');
  }
  (instance.exports._initialize as (() => void) | undefined)?.();
  return instance;
}
