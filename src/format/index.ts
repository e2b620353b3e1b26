export * from './xnn.js';
export { crc32, BlobCrc } from './crc32.js';
export { readXnn, type ReadOptions } from './read.js';
export { writeXnn } from './write.js';
export { validateModel, validateGraph, byteSize, elementCount } from './validate.js';
export { summarize, formatSummary, type ModelSummary, type LayerSummary } from './summary.js';
