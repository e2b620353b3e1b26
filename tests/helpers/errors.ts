// Asserts what a failing call throws: the typed error class, its stable `name`, and its message.

import { expect } from 'vitest';
import type { XnorError } from '../../src/errors.js';

type ErrorClass = (abstract new (...args: never[]) => XnorError) & { errorName: string };

/** `fn()` throws a `type` (by class and by `name`) whose message is `message` (string: exactly). */
export function expectThrows(fn: () => unknown, type: ErrorClass, message: string | RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expectError(err, type, message, 'should throw');
}

/** `promise` rejects with a `type` (by class and by `name`) whose message is `message` (string: exactly). */
export async function expectRejects(promise: Promise<unknown>, type: ErrorClass, message: string | RegExp): Promise<void> {
  let err: unknown;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  expectError(err, type, message, 'should reject');
}

function expectError(err: unknown, type: ErrorClass, message: string | RegExp, what: string): void {
  expect(err, what).toBeInstanceOf(type);
  expect((err as Error).name).toBe(type.errorName);
  if (typeof message === 'string') expect((err as Error).message).toBe(message);
  else expect((err as Error).message).toMatch(message);
}
