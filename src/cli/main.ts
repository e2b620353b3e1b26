// xnor-web command line: `xnor-web COMMAND [options]`; each command lives in its own file and
// is imported on demand.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XnorError } from '../errors.js';
import { type Command, type Io, parse, UsageError } from './common.js';

const COMMANDS: Record<string, () => Promise<Command>> = {
  convert: async () => (await import('./convert.js')).convert,
  inspect: async () => (await import('./inspect.js')).inspect,
  classify: async () => (await import('./classify.js')).classify,
  eval: async () => (await import('./eval.js')).evaluate,
  run: async () => (await import('./run.js')).runCmd,
  bench: async () => (await import('./bench.js')).bench,
};

const SUMMARIES: Record<string, string> = {
  convert: 'convert a BMXNet model (symbol .json + .params) to .xnn',
  inspect: 'show layers, shapes, parameter counts and sizes of a model',
  classify: 'classify images (PNG or JPEG)',
  eval: 'measure top-1/top-5 accuracy on a labelled data set',
  run: 'run a raw tensor through a model (.npy in, .npy out)',
  bench: 'time inference in Node',
};

export const USAGE = `usage: xnor-web COMMAND [options]   (xnor-web COMMAND --help for details)

commands:
${Object.entries(SUMMARIES)
  .map(([k, v]) => `  ${k.padEnd(9)} ${v}`)
  .join('\n')}

global options:
  --backend wasm|reference   execution backend (default wasm; reference is the slow float interpreter)
  -h, --help                 show help
`;

const stdio: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  errIsTTY: !!process.stderr.isTTY,
};

// User errors (XnorError) print one line `xnor-web: …` and exit 1
// (2 for a bad command line); anything else is an internal error, whose stack is printed
// only with XNOR_DEBUG=1.
/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.out(USAGE);
      return name === undefined ? 2 : 0;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
    const cmd = await load();
    const parsed = parse(name, cmd, rest);
    if (parsed.help) {
      io.out(`${cmd.summary}\n\nusage: ${cmd.usage}\n`);
      return 0;
    }
    await cmd.run(parsed, io);
    return 0;
  } catch (e) {
    return report(e, io);
  }
}

function report(e: unknown, io: Io): number {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
  if (e instanceof XnorError) {
    io.err(`xnor-web: ${oneLine(e.message)}\n`);
    if (process.env.XNOR_DEBUG === '1' && e.stack) io.err(e.stack + '\n');
    return e instanceof UsageError ? 2 : 1;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && err.syscall && err.path) {
    // A file system error the command did not anticipate: still a user-facing one-liner.
    io.err(`xnor-web: ${err.path}: ${err.code === 'ENOENT' ? 'no such file or directory' : oneLine(err.message)}\n`);
    return 1;
  }
  if (err && typeof err === 'object' && err.name === 'AbortError') {
    io.err('xnor-web: aborted\n');
    return 130;
  }
  if (process.env.XNOR_DEBUG === '1') io.err(`xnor-web: internal error\n${(e as Error)?.stack ?? String(e)}\n`);
  else io.err(`xnor-web: internal error: ${oneLine(String((e as Error)?.message ?? e))} (set XNOR_DEBUG=1 for the stack trace)\n`);
  return 70;
}

/** Entry point for bin/xnor-web.js and `node --import tsx src/cli/main.ts`. */
export async function cli(): Promise<void> {
  // A closed stdout (e.g. `| head`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  process.exitCode = await main(process.argv.slice(2));
}

const isEntry = (() => {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (isEntry) void cli();
