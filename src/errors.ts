// Every error xnor-web throws on purpose is one of these. `name` is part of the public API:
// it survives structured cloning across a worker boundary, `instanceof` does not.

/** The base of every error xnor-web throws on purpose; `name` says which. */
export class XnorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.errorName;
  }
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static readonly errorName: string = 'XnorError';
}

/** A `.xnn` file (or a graph handed to the runtime) is malformed: says what and where. */
export class ModelFormatError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName: string = 'ModelFormatError';
}

/** A converter met an op, attribute or pattern it cannot express; names the node. */
export class UnsupportedOpError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'UnsupportedOpError';
}

/** A converter's input file (MXNet params/symbol, ONNX) is malformed. */
export class ConvertError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'ConvertError';
}

/** A tensor or image given to a model has the wrong shape, type or content. */
export class InputError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'InputError';
}

/** An image could not be decoded (corrupt, unsupported, too large). */
export class ImageDecodeError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'ImageDecodeError';
}

/** A model was used after dispose(). */
export class DisposedError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'DisposedError';
}

/** The WebAssembly module could not be fetched, compiled or instantiated. */
export class WasmLoadError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName: string = 'WasmLoadError';
}

/** This JavaScript engine has no WebAssembly SIMD (xnor.wasm needs it; no scalar build yet). */
export class SimdUnsupportedError extends WasmLoadError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'SimdUnsupportedError';
}

/** A Web Worker running a model died (crashed or was terminated) while it held this call. */
export class WorkerCrashedError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'WorkerCrashedError';
}

/** A model could not be fetched: a network failure or an HTTP error status (`status`). */
export class ModelFetchError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'ModelFetchError';
  /** The URL that was fetched. */
  readonly url: string;
  /** The HTTP status, when the server answered. */
  readonly status?: number;
  constructor(message: string, details: { url?: string; status?: number } = {}) {
    super(message);
    this.url = details.url ?? '';
    if (details.status !== undefined) this.status = details.status;
  }
}

/**
 * An HTML page was served where a model was expected (a dev server's index.html fallback, a
 * login page, a 404 page with status 200). A ModelFormatError, so existing handlers still match.
 */
export class ModelHtmlError extends ModelFormatError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'ModelHtmlError';
  /** The URL or path that answered with HTML ('' when unknown). */
  readonly url: string;
  constructor(message: string, details: { url?: string } = {}) {
    super(message);
    this.url = details.url ?? '';
  }
}

/** The model's bytes do not match the `integrity` digest it was loaded with. */
export class IntegrityError extends XnorError {
  /** The stable `name` instances of this class carry (it survives a worker boundary). */
  static override readonly errorName = 'IntegrityError';
  /** The URL or path the bytes came from ('' when given as bytes). */
  readonly url: string;
  /** The expected digest, as given (`sha256-<base64>` or hex). */
  readonly expected: string;
  /** The digest of what arrived, `sha256-<base64>` (same algorithm as expected). */
  readonly actual: string;
  constructor(message: string, details: { url?: string; expected?: string; actual?: string } = {}) {
    super(message);
    this.url = details.url ?? '';
    this.expected = details.expected ?? '';
    this.actual = details.actual ?? '';
  }
}
