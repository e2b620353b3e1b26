// The shipped artifact: `npm pack` of the built package, installed from the tarball (never the
// source tree) into a scratch folder. Shared by the examples' e2e spec and `check:package`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const run = (args: string[], cwd: string) =>
  execFileSync(npm, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, npm_config_update_notifier: 'false' } });

/** `npm run build:ts` unless `skipBuild` (the .wasm must already be built). */
export function buildTs(): void {
  execFileSync(npm, ['run', 'build:ts', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

/** Packs the repository (as built now) into a fresh temp folder; returns the tarball's path. */
export function packTarball(dir = mkdtempSync(join(tmpdir(), 'xnor-pack-'))): string {
  run(['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], REPO_ROOT);
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack wrote no tarball into ${dir}`);
  return join(dir, tgz);
}

/**
 * Installs the tarball (and its dependencies, from the npm cache when it has them) into
 * `dir`/node_modules, with no lockfile and no other package; returns `dir`.
 */
export function installTarball(tarball: string, dir = mkdtempSync(join(tmpdir(), 'xnor-install-'))): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'xnor-web-consumer', private: true, type: 'module' }) + '\n');
  run(['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', tarball], dir);
  return dir;
}
