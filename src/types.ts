// Public types of the runtime API (src/index.ts re-exports them).

/** A dense tensor handed to or returned from a model. Activations are NHWC. */
export interface Tensor {
  /** Dimensions, outermost first (e.g. [1, H, W, C]); their product is `data.length`. */
  shape: number[];
  /** The values, row-major (last dimension fastest). */
  data: Float32Array;
}

/** One class of a classify answer. */
export interface Prediction {
  /** The class's position in the model's output vector, from 0. */
  index: number;
  /** `ModelInfo.labels[index]`, or `class <index>` when the model has no labels. */
  label: string;
  /** The class's probability, 0–1: the output itself, or its softmax when the model outputs logits. */
  prob: number;
}

/** Decoded pixels, row-major, `channels` interleaved (1 grey, 3 RGB, 4 RGBA), 0–255. */
export interface RawImage {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Values per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** `width × height × channels` bytes, top row first, channels interleaved per pixel. */
  data: Uint8Array | Uint8ClampedArray;
}

/** The model's input as its metadata declares it. */
export interface InputSpec {
  /** [1, H, W, C] for an image; with colorOrder 'NONE' any shape (a batch, features, a sequence). */
  shape: number[];
  /** 'NHWC' for rank-4 inputs, 'ND' for any other rank (the importer's storage order: docs/FORMAT.md). */
  layout: 'NHWC' | 'ND';
  /** 'NONE': not an image (any channel count or rank); classify() needs RGB or GRAY. */
  colorOrder: 'RGB' | 'GRAY' | 'NONE';
  /** The range the model expects raw pixel values in, e.g. [0, 255] or [0, 1]. */
  valueRange: [number, number];
  /** The layout of the model this was converted from (ONNX: 'NCHW'); run() also accepts a
   * tensor in it (src/runtime/layout.ts). Absent: only `layout`. */
  sourceLayout?: 'NCHW';
  /** The source model's input element type when it is not float: the values must be integers
   * of its range (bool: 0 or 1), which f32 holds exactly. Absent: float. */
  elementType?: 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16';
}

/** How an image becomes the model's input (resize, crop, normalisation). */
export interface Preprocess {
  /** Resize so that the short side equals this (bilinear), or null for none. */
  resizeShortSide: number | null;
  /** Centre crop [height, width] at offset floor((W−w)/2), floor((H−h)/2), or null. */
  centerCrop: [number, number] | null;
  /** Per channel, applied after scaling to valueRange: (x − mean) / std. */
  mean: number[];
  /** Per channel divisor of the normalisation above (same length as `mean`). */
  std: number[];
}

/** A measured accuracy of a model, stored in its metadata (`xnor-web inspect` prints it). */
export interface AccuracyRecord {
  /** The data set and split it was measured on, as free text (e.g. `cifar10-test`). */
  dataset: string;
  /** How many samples were scored. */
  n: number;
  /** Fraction of samples whose top class was right, 0–1. */
  top1: number;
  /** Fraction whose right class was among the top five, 0–1. */
  top5?: number;
}

/** A model's metadata, stored in the .xnn file. */
export interface ModelInfo {
  /** A short name given at conversion (default: the source graph's name). */
  name: string;
  /** Free text about the model, when the converter was given one. */
  description?: string;
  /** What the model takes. */
  input: InputSpec;
  /** How classify() turns an image into that input. */
  preprocess: Preprocess;
  /** Class names in output order; empty when the model has none. */
  labels: string[];
  /** What the graph's output is. */
  output: {
    /** 'probabilities': already a distribution; 'logits': classify() applies softmax. */
    kind: 'logits' | 'probabilities';
  };
  /** Accuracies measured and recorded at conversion; may be empty. */
  accuracy: AccuracyRecord[];
  /** Where the model came from: source format, converter version, file names, license. */
  provenance: Record<string, string>;
}
