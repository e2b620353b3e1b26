// Errors cross the worker boundary with their `name` (and so their class): comlink's 'throw'
// handler is replaced on both sides by one that rebuilds the matching xnor-web error class.

import { transferHandlers } from 'comlink';
import * as errors from '../errors.js';
import type { WireError } from './protocol.js';

type ErrorClass = new (message: string) => Error;

const CLASSES = new Map<string, ErrorClass>(
  Object.values(errors)
    .filter((c): c is typeof errors.XnorError => typeof c === 'function' && 'errorName' in c)
    .map((c) => [c.errorName, c]),
);

/** Plain data for an error (any thrown value). */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  if (e && typeof e === 'object' && 'message' in e) return { name: String((e as WireError).name ?? 'Error'), message: String((e as WireError).message) };
  return { name: 'Error', message: String(e) };
}

/** Rebuilds an error: the xnor-web class of that name, else an Error (DOMException names kept). */
export function fromWireError(w: WireError): Error {
  const C = CLASSES.get(w.name);
  const e = C ? new C(w.message) : new Error(w.message);
  e.name = w.name;
  if (w.stack) e.stack = w.stack;
  return e;
}

const throwMarker = (transferHandlers.get('throw') as unknown as { canHandle(v: unknown): boolean }) ?? null;

let installed = false;
/** Installs the error handler in this realm (idempotent). */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  transferHandlers.set('throw', {
    canHandle: (v: unknown): v is unknown => !!throwMarker?.canHandle(v),
    serialize: (v: unknown) => [toWireError((v as { value: unknown }).value), []],
    deserialize: (w: unknown) => {
      throw fromWireError(w as WireError);
    },
  });
}
