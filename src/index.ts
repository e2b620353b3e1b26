// xnor-web public API. Browser-safe: nothing here imports a Node module at load time
// (Node-only helpers — image decoding, data sets, the CLI — live in src/image/decode-node.ts,
// src/data/ and src/cli/ and are not re-exported).

export { loadModel, Model, softmax, topK, type LoadOptions, type ClassifyOptions } from './runtime/model.js';
export {
  registerBackend,
  backendNames,
  type Backend,
  type BackendFactory,
  type BackendName,
  type BackendOptions,
} from './runtime/backend.js';
export type { WasmBackendOptions } from './runtime/wasm-backend.js';
export { preprocessImage, type PreprocessSpec } from './image/preprocess.js';
export type { Tensor, Prediction, RawImage, ModelInfo, InputSpec, Preprocess, AccuracyRecord } from './types.js';
export {
  XnorError,
  ModelFormatError,
  UnsupportedOpError,
  ConvertError,
  InputError,
  ImageDecodeError,
  DisposedError,
  WasmLoadError,
  SimdUnsupportedError,
  WorkerCrashedError,
} from './errors.js';
export { simdSupported, threadsAvailable } from './wasm/features.js';
export {
  createClassifier,
  createWorkerApi,
  rawImageFrom,
  fetchModelBytes,
  type Classifier,
  type ClassifierOptions,
  type ClassifierStats,
  type CallOptions,
  type ClassifyResult,
  type LoadResult,
  type Frame,
  type WorkerApi,
  type WorkerStats,
  type ImageInput,
  type FetchProgress,
  type ModelSource,
} from './worker/index.js';
export {
  fetchModel,
  clearCache,
  type FetchModelOptions,
  type LoadProgress,
} from './runtime/fetch-model.js';
export { getCapabilities, type Capabilities } from './capabilities.js';
export { ModelFetchError, ModelHtmlError, IntegrityError } from './errors.js';
