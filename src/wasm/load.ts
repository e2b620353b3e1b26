// Loads xnor.wasm in Node and in browsers. The literal `new URL('./xnor.wasm', import.meta.url)`
// is what bundlers (Vite, webpack, esbuild) detect to emit the asset; keep it literal.
// Nothing here touches browser or Node globals at import time; Node's fs is imported lazily.

import { SimdUnsupportedError } from '../errors.js';
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

async function instantiateUrl(url: URL): Promise<WebAssembly.Instance> {
  const inline = url.protocol === 'data:' ? dataUrlBytes(url) : null;
  if (inline) return (await WebAssembly.instantiate(inline.buffer as ArrayBuffer, imports)).instance;
  if (isNodeFileUrl(url)) {
    // Not a literal, and marked: browser bundlers must leave this Node-only import alone.
    const fsp = 'node:fs/promises';
    const { readFile }: typeof import('node:fs/promises') = await import(/* webpackIgnore: true */ /* @vite-ignore */ fsp);
    const bytes = await readFile(url);
    return (await WebAssembly.instantiate(bytes, imports)).instance;
  }
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      return (await WebAssembly.instantiateStreaming(fetch(url), imports)).instance;
    } catch {
      // wrong MIME type (servers not sending application/wasm) etc.: fall back below
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`xnor.wasm: fetch ${url.href} failed with HTTP ${res.status}`);
  return (await WebAssembly.instantiate(await res.arrayBuffer(), imports)).instance;
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
    instance = await WebAssembly.instantiate(src, imports);
  } else if (src instanceof URL || typeof src === 'string') {
    // webpackIgnore: a caller's URL is no build-time asset (webpack warns on the expression).
    instance = await instantiateUrl(typeof src === 'string' ? new URL(/* webpackIgnore: true */ src, import.meta.url) : src);
  } else {
    const bytes = src instanceof Uint8Array ? src : new Uint8Array(src);
    instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), imports);
  }
  (instance.exports._initialize as (() => void) | undefined)?.();
  return instance;
}
