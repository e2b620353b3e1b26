// Errors from a model worker keep their class: comlink's own (page-global) 'throw' handler carries
// name, message and stack, and from the name we rebuild the matching xnor-web error class here.

import * as errors from '../errors.js';

type ErrorClass = new (message: string) => Error;

const CLASSES = new Map<string, ErrorClass>(
  Object.values(errors)
    .filter((c): c is typeof errors.XnorError => typeof c === 'function' && 'errorName' in c)
    .map((c) => [c.errorName, c]),
);

/**
 * The xnor-web error class named by `e.name`, with its message and stack; other values
 * (a DOMException's AbortError, a plain Error) are returned as they came.
 */
export function rebuildError(e: unknown): unknown {
  if (!e || typeof e !== 'object') return e;
  const { name, message, stack } = e as Error;
  const C = typeof name === 'string' ? CLASSES.get(name) : undefined;
  if (!C || e instanceof C) return e;
  const out = new C(String(message ?? ''));
  out.name = name;
  if (stack) out.stack = stack;
  return out;
}
