// Public types of the runtime API (src/index.ts re-exports them).

/** A dense tensor handed to or returned from a model. Activations are NHWC. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface Prediction {
  index: number;
  label: string;
  prob: number;
}

/** Decoded pixels, row-major, `channels` interleaved (1 grey, 3 RGB, 4 RGBA), 0–255. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

export interface InputSpec {
  /** [1, H, W, C] for an image; with colorOrder 'NONE' any shape (a batch, features, a sequence). */
  shape: number[];
  /** 'NHWC' for rank-4 inputs, 'ND' for any other rank (the importer's storage order: docs/FORMAT.md). */
  layout: 'NHWC' | 'ND';
  /** 'NONE': not an image (any channel count or rank); classify() needs RGB or GRAY. */
  colorOrder: 'RGB' | 'GRAY' | 'NONE';
  /** The range the model expects raw pixel values in, e.g. [0, 255] or [0, 1]. */
  valueRange: [number, number];
}

export interface Preprocess {
  /** Resize so that the short side equals this (bilinear), or null for none. */
  resizeShortSide: number | null;
  /** Centre crop [height, width] at offset floor((W−w)/2), floor((H−h)/2), or null. */
  centerCrop: [number, number] | null;
  /** Per channel, applied after scaling to valueRange: (x − mean) / std. */
  mean: number[];
  std: number[];
}

export interface AccuracyRecord {
  dataset: string;
  n: number;
  top1: number;
  top5?: number;
}

export interface ModelInfo {
  name: string;
  description?: string;
  input: InputSpec;
  preprocess: Preprocess;
  labels: string[];
  /** Whether the graph's output is already a probability distribution. */
  output: { kind: 'logits' | 'probabilities' };
  accuracy: AccuracyRecord[];
  provenance: Record<string, string>;
}
