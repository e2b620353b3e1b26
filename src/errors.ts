// Every error xnor-web throws on purpose is one of these. `name` is part of the public API:
// it survives structured cloning across a worker boundary, `instanceof` does not.

export class XnorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.errorName;
  }
  static readonly errorName: string = 'XnorError';
}

/** A `.xnn` file (or a graph handed to the runtime) is malformed: says what and where. */
export class ModelFormatError extends XnorError {
  static override readonly errorName = 'ModelFormatError';
}

/** A converter met an op, attribute or pattern it cannot express; names the node. */
export class UnsupportedOpError extends XnorError {
  static override readonly errorName = 'UnsupportedOpError';
}

/** A converter's input file (MXNet params/symbol, ONNX) is malformed. */
export class ConvertError extends XnorError {
  static override readonly errorName = 'ConvertError';
}

/** A tensor or image given to a model has the wrong shape, type or content. */
export class InputError extends XnorError {
  static override readonly errorName = 'InputError';
}

/** An image could not be decoded (corrupt, unsupported, too large). */
export class ImageDecodeError extends XnorError {
  static override readonly errorName = 'ImageDecodeError';
}

/** A model was used after dispose(). */
export class DisposedError extends XnorError {
  static override readonly errorName = 'DisposedError';
}

/** The WebAssembly module could not be fetched, compiled or instantiated. */
export class WasmLoadError extends XnorError {
  static override readonly errorName: string = 'WasmLoadError';
}

/** This JavaScript engine has no WebAssembly SIMD (xnor.wasm needs it; no scalar build yet). */
export class SimdUnsupportedError extends WasmLoadError {
  static override readonly errorName = 'SimdUnsupportedError';
}

/** A Web Worker running a model died (crashed or was terminated) while it held this call. */
export class WorkerCrashedError extends XnorError {
  static override readonly errorName = 'WorkerCrashedError';
}
