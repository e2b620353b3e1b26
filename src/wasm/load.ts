// Loads xnor.wasm, its threaded twin xnor.mt.wasm (docs/THREADS.md) or their relaxed-SIMD and fma twins
// (docs/KERNELS.md) in Node and browsers; nothing touches platform globals at import time.

import { SimdUnsupportedError, WasmLoadError } from '../errors.js';
import { relaxedSimdSupported, simdSupported } from './features.js';

export type WasmSource = URL | string | ArrayBuffer | Uint8Array | WebAssembly.Module;

export interface LoadOptions {
  /** Where to get the module from instead of the default asset. */
  source?: WasmSource;
  /** Load xnor.debug.wasm (asserts on; for tests). Ignored when `source` is given. */
  debug?: boolean;
  /**
   * Default (undefined or true): the relaxed-SIMD build where the engine has relaxed SIMD. It
   * differs from the plain build only in the binary convs' byte counts (relaxed_swizzle on
   * indices 0–15, fully determined), so its results are the same bits; false: the plain build.
   * Ignored when `source` or `debug` is given.
   */
  relaxedSimd?: boolean;
  /**
   * true: the fma build where the engine has relaxed SIMD (float convs and dense layers fuse
   * multiply-add: a little faster, float results rounded differently and possibly per CPU —
   * enough to move a binarized net's signs and so its top-5 on some photos). Default false.
   * Ignored when `source`, `debug` or `relaxedSimd: false` is given.
   */
  fma?: boolean;
}

// The debug build is for this package's tests (Node, next to this module). Its URL is kept
// away from bundlers (not a literal), so apps do not ship a build they never load.
const DEBUG_WASM = './xnor.debug.wasm';

/** The release builds: plain SIMD, relaxed SIMD (same bits), relaxed SIMD with FMA floats. */
export type WasmBuild = 'plain' | 'relaxed' | 'fma';

/** The build `options` ask for that this engine can run. */
export function chooseBuild(options: Pick<LoadOptions, 'relaxedSimd' | 'fma'> = {}): WasmBuild {
  if (options.relaxedSimd === false || !relaxedSimdSupported()) return 'plain';
  return options.fma ? 'fma' : 'relaxed';
}

// A literal `new URL('./xnor.wasm', import.meta.url)` is what bundlers (Vite, webpack, esbuild)
// detect to emit the asset: keep all six release URLs literal.
function defaultUrl(debug: boolean, build: WasmBuild): URL {
  if (debug) return new URL(/* webpackIgnore: true */ /* @vite-ignore */ DEBUG_WASM, import.meta.url);
  if (build === 'relaxed') return new URL('./xnor.relaxed.wasm', import.meta.url);
  if (build === 'fma') return new URL('./xnor.fma.wasm', import.meta.url);
  return new URL('./xnor.wasm', import.meta.url);
}

function threadedUrl(build: WasmBuild): URL {
  if (build === 'relaxed') return new URL('./xnor.mt.relaxed.wasm', import.meta.url);
  if (build === 'fma') return new URL('./xnor.mt.fma.wasm', import.meta.url);
  return new URL('./xnor.mt.wasm', import.meta.url);
}

/** Only the debug build can call this (failed assert); the release builds import nothing else. */
export function abort(_msg: number, _file: number, line: number, col: number): never {
  throw new Error(`xnor.wasm: assertion failed at ${line}:${col}`);
}

const imports: WebAssembly.Imports = { env: { abort } };

/** The shared memory's limits in 64 KiB pages: the threads target of asconfig.json. */
export const THREADED_MEMORY = { initial: 2, maximum: 16384 } as const;

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

async function compileBytes(bytes: Uint8Array, where: string): Promise<WebAssembly.Module> {
  checkWasmBytes(bytes, where);
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw explain(e, where);
  }
}

async function compileUrl(url: URL, name: string): Promise<WebAssembly.Module> {
  const inline = url.protocol === 'data:' ? dataUrlBytes(url) : null;
  if (inline) return compileBytes(inline, `the inlined ${name}`);
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
    return compileBytes(bytes, url.href);
  }
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(fetch(url));
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
  return compileBytes(new Uint8Array(await res.arrayBuffer()), url.href);
}

/** A compiled module from any accepted source. */
async function compile(src: WasmSource, name: string): Promise<WebAssembly.Module> {
  if (src instanceof WebAssembly.Module) return src;
  // webpackIgnore: a caller's URL is no build-time asset (webpack warns on the expression).
  if (src instanceof URL || typeof src === 'string')
    return compileUrl(typeof src === 'string' ? new URL(/* webpackIgnore: true */ src, import.meta.url) : src, name);
  return compileBytes(src instanceof Uint8Array ? src : new Uint8Array(src), `the given ${name} bytes`);
}

/** Instantiates and runs the start function (it only sets globals: no memory is written). */
export async function instantiateKernels(module: WebAssembly.Module, env: Record<string, WebAssembly.ImportValue> = {}): Promise<WebAssembly.Instance> {
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { ...imports.env, ...env } });
  } catch (e) {
    throw explain(e, 'the xnor-web kernels module');
  }
  (instance.exports._initialize as (() => void) | undefined)?.();
  return instance;
}

function needSimd(): void {
  if (!simdSupported())
    throw new SimdUnsupportedError(
      'this browser has no WebAssembly SIMD, which xnor-web needs (Chrome/Edge ≥ 91, Firefox ≥ 89, Safari ≥ 16.4, Node ≥ 16.4)',
    );
}

/** Instantiates the kernels module and runs its start function. */
export async function loadWasm(options: LoadOptions = {}): Promise<WebAssembly.Instance> {
  needSimd();
  const module = await compile(options.source ?? defaultUrl(!!options.debug, chooseBuild(options)), 'xnor.wasm');
  return instantiateKernels(module);
}

export interface ThreadedWasm {
  /** Compiled xnor.mt.wasm: every kernel worker instantiates it over `memory`. */
  module: WebAssembly.Module;
  /** The one shared memory (THREADED_MEMORY limits). */
  memory: WebAssembly.Memory;
  /** The coordinating thread's instance (the only one that plans and allocates). */
  instance: WebAssembly.Instance;
}

/**
 * Compiles the threaded twin of the build `options` pick (xnor.mt.wasm, xnor.mt.relaxed.wasm
 * or xnor.mt.fma.wasm: chooseBuild), or `source` (one of those), and instantiates it over a
 * new shared memory. Needs SharedArrayBuffer (cross-origin isolation in browsers).
 */
export async function loadThreadedWasm(source?: WasmSource, options: Pick<LoadOptions, 'relaxedSimd' | 'fma'> = {}): Promise<ThreadedWasm> {
  needSimd();
  const url = threadedUrl(chooseBuild(options));
  const module = await compile(source ?? url, 'xnor.mt.wasm');
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ ...THREADED_MEMORY, shared: true });
  } catch (e) {
    throw explain(e, 'the shared memory of xnor.mt.wasm');
  }
  return { module, memory, instance: await instantiateKernels(module, { memory }) };
}
