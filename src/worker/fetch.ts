// Fetches model bytes once, on the main thread, reporting progress (for a download bar).

import { ModelFormatError, XnorError } from '../errors.js';

export type ModelSource = string | URL | ArrayBuffer | Uint8Array | Blob;

export interface FetchProgress {
  loaded: number;
  /** From Content-Length; undefined when the server does not say. */
  total?: number;
}

export async function fetchModelBytes(
  source: ModelSource,
  opts: { onProgress?: (p: FetchProgress) => void; signal?: AbortSignal } = {},
): Promise<{ bytes: ArrayBuffer; name: string }> {
  const { onProgress, signal } = opts;
  signal?.throwIfAborted();
  if (source instanceof ArrayBuffer) return { bytes: source, name: '' };
  if (source instanceof Uint8Array) return { bytes: source.slice().buffer as ArrayBuffer, name: '' };
  if (typeof Blob === 'function' && source instanceof Blob) {
    const bytes = await source.arrayBuffer();
    onProgress?.({ loaded: bytes.byteLength, total: bytes.byteLength });
    return { bytes, name: (source as File).name ?? '' };
  }
  const url = String(source instanceof URL ? source.href : new URL(source as string, globalThis.location?.href).href);
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw new XnorError(`cannot fetch model ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new XnorError(`cannot fetch model ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  if ((res.headers.get('content-type') ?? '').toLowerCase().includes('text/html'))
    throw new ModelFormatError(`${url}: an HTML page was served instead of a model (expected a .xnn file; check the URL)`);
  const len = Number(res.headers.get('content-length'));
  const total = Number.isFinite(len) && len > 0 && !res.headers.get('content-encoding') ? len : undefined;
  if (!res.body || !onProgress) return { bytes: await res.arrayBuffer(), name: url };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress({ loaded, total });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ loaded, total });
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return { bytes: out.buffer, name: url };
}
