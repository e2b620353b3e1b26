// xnor-web public API, browser-safe: Node-only helpers (decode-node, data/, cli/) are not re-exported.
// Every name below has its TSDoc where it is declared.

// Side effects: the default model worker script, and sessions on this thread.
import './worker/default-worker.js';
import './runtime/local-session.js';

export {
  loadModel,
  createClassifier,
  type LoadOptions,
  type WasmOptions,
  type Session,
  type SessionStats,
  type ClassifyOptions,
  type ClassifierOptions,
} from './session.js';
export type { ModelSource, LoadProgress } from './runtime/fetch-model.js';
export { clearCache } from './runtime/fetch-model.js';
export type { ImageInput } from './worker/frames.js';
export type { ClassifyResult, LoadResult, WorkerStats } from './worker/protocol.js';
export { preprocessImage, type PreprocessSpec, type Fit } from './image/preprocess.js';
export { softmax, topK } from './runtime/model.js';
export type { Tensor, Prediction, RawImage, ModelInfo, InputSpec, Preprocess, AccuracyRecord } from './types.js';
export { getCapabilities, type Capabilities } from './capabilities.js';
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
  ModelFetchError,
  ModelHtmlError,
  IntegrityError,
} from './errors.js';
