// Shared CLI plumbing: argument parsing, output streams, model loading.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { XnorError } from '../errors.js';
import { type BackendName, backendNames } from '../runtime/backend.js';
import { type ModelOptions, type Model, openModel as openXnn } from '../runtime/model.js';

/** Bad command line: printed as one line, exit code 2. */
export class UsageError extends XnorError {
  static override readonly errorName = 'UsageError';
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is an interactive terminal (progress uses \r updates then). */
  errIsTTY: boolean;
}

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: Parsed, io: Io): Promise<void>;
}

export interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  backend: BackendName;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export function parse(cmdName: string, cmd: Command, argv: string[]): Parsed & { help: boolean } {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${cmdName}: ${(e as Error).message.split('\n')[0].replace(/\. To specify a positional.*$/, '')} (see xnor-web ${cmdName} --help)`);
  }
  const values = r.values as Record<string, string | boolean | undefined>;
  const backend = (values.backend as string | undefined) ?? 'wasm';
  if (!backendNames().includes(backend))
    throw new UsageError(`--backend must be one of ${backendNames().join('|')}, got "${backend}"`);
  return { positionals: r.positionals, values, backend: backend as BackendName, help: !!values.help };
}

export function intOption(p: Parsed, name: string, dflt: number, min = 1): number {
  const v = p.values[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v.trim()) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

export function stringOption(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function needPositionals(p: Parsed, cmdName: string, min: number, max: number, what: string) {
  const n = p.positionals.length;
  if (n < min) throw new UsageError(`${cmdName}: missing ${what} (see xnor-web ${cmdName} --help)`);
  if (n > max) throw new UsageError(`${cmdName}: unexpected argument "${p.positionals[max]}" (see xnor-web ${cmdName} --help)`);
}

export function openModel(path: string, p: Parsed, opts: Pick<ModelOptions, 'threads'> = {}): Promise<Model> {
  return openXnn(path, { backend: p.backend, ...opts });
}

/** Rounds for printing without float noise. */
export const round = (x: number, digits = 6) => Number(x.toFixed(digits));
