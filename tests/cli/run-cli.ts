// Runs the CLI as a child process through tsx, so tests need no build.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, XNOR_DEBUG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A user error: non-zero exit, exactly one stderr line starting `xnor-web:`, no stack. */
export function expectOneLineError(r: CliResult, pattern?: RegExp) {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const ok = r.code !== 0 && lines.length === 1 && lines[0].startsWith('xnor-web: ') && !/\n\s+at /.test(r.stderr);
  if (!ok || (pattern && !pattern.test(lines[0])))
    throw new Error(`expected a one-line error${pattern ? ` matching ${pattern}` : ''}; got code ${r.code}, stderr:\n${r.stderr}`);
}
