// The worker pipeline's public surface (src/index.ts re-exports it).
import './default-worker.js';
export { createClassifier, type Classifier, type ClassifierOptions, type ClassifierStats, type CallOptions } from './client.js';
export { createWorkerApi } from './api.js';
export { rawImageFrom, type ImageInput } from './frames.js';
export { fetchModelBytes, type FetchProgress, type ModelSource } from './fetch.js';
export type { ClassifyResult, LoadResult, Frame, WorkerApi, WorkerStats } from './protocol.js';
