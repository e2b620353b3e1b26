// The model's bytes for createClassifier, fetched once on the main thread (where a download bar
// lives). URLs go through the runtime's fetchModel: progress, abort, integrity, Cache API and
// its typed errors (ModelFetchError, ModelHtmlError, IntegrityError). `integrity` is checked
// for every source, here, before any worker sees the bytes.

import { type FetchModelOptions, type LoadProgress, fetchModel, verifyIntegrity } from '../runtime/fetch-model.js';

export type ModelSource = string | URL | ArrayBuffer | Uint8Array | Blob;

export type FetchProgress = LoadProgress;

export async function fetchModelBytes(
  source: ModelSource,
  opts: Pick<FetchModelOptions, 'onProgress' | 'signal' | 'integrity' | 'cache'> = {},
): Promise<{ bytes: ArrayBuffer; name: string }> {
  const { onProgress, signal, integrity } = opts;
  signal?.throwIfAborted();
  const given = async (bytes: ArrayBuffer, name: string) => {
    if (integrity != null) await verifyIntegrity(new Uint8Array(bytes), integrity, name);
    return { bytes, name };
  };
  if (source instanceof ArrayBuffer) return given(source, '');
  if (source instanceof Uint8Array) return given(source.slice().buffer as ArrayBuffer, '');
  if (typeof Blob === 'function' && source instanceof Blob) {
    const bytes = await source.arrayBuffer();
    onProgress?.({ loaded: bytes.byteLength, total: bytes.byteLength });
    return given(bytes, (source as File).name ?? '');
  }
  const { bytes, name } = await fetchModel(source as string | URL, opts);
  // The workers get copies of a whole ArrayBuffer; a body read in one chunk may be a view.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  return { bytes: whole.buffer as ArrayBuffer, name };
}
