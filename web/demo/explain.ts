// One sentence a person can act on, for each way a model or an image can fail; the error's own
// name and message go beneath it as the technical detail.

export interface Explained {
  summary: string;
  detail: string;
}

export function explainModelError(e: unknown, file: string): Explained {
  const err = e as Error;
  const msg = err?.message ?? String(e);
  const detail = `${err?.name ?? 'Error'}: ${msg}`;
  const is = (name: string) => err?.name === name;
  let summary = `“${file}” could not be loaded as a model.`;
  const kind = /it looks like (an? [^)(]+?)(?: \(|\))/.exec(msg)?.[1];
  if (kind) summary = `“${file}” is ${kind}, not an xnor-web model (.xnn).`;
  else if (is('ModelHtmlError')) summary = `The server sent a web page instead of the model “${file}”.`;
  else if (is('ModelFetchError')) summary = `The model “${file}” could not be downloaded.`;
  else if (is('IntegrityError')) summary = `“${file}” does not match its expected checksum: it was changed or corrupted.`;
  else if (is('UnsupportedOpError')) summary = `“${file}” uses an operation that xnor-web cannot run.`;
  else if (is('SimdUnsupportedError')) summary = 'This browser has no WebAssembly SIMD, which xnor-web needs.';
  else if (is('ModelFormatError') && /truncated|the file holds|ends at|past the end/.test(msg))
    summary = `“${file}” is incomplete (cut short): copy or download it again.`;
  else if (is('ModelFormatError')) summary = `“${file}” is not a valid xnor-web model (.xnn).`;
  return { summary, detail };
}

export function explainImageError(e: unknown, file: string): Explained {
  const err = e as Error;
  const msg = err?.message ?? String(e);
  const detail = `${err?.name ?? 'Error'}: ${msg}`;
  let summary = `“${file}” could not be classified.`;
  if (/empty|no pixels|0 bytes/i.test(msg)) summary = `“${file}” is empty: there is no picture in it.`;
  else if (err?.name === 'ImageDecodeError' || err?.name === 'InvalidStateError' || err?.name === 'EncodingError')
    summary = `“${file}” could not be read as an image (a PNG, JPEG, GIF or WebP the browser can open).`;
  return { summary, detail };
}
