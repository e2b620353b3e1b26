// The examples/ apps as a user gets them: `npm pack` of this checkout, the tarball installed into
// a scratch folder, each app copied beside it with the CIFAR-10 model and a photo, and built
// (vite, webpack; plain has no build). Shared by examples.spec.ts (Chromium) and the
// cross-engine suite (tests/e2e/engines/apps.engine.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildTs, installTarball, packTarball, REPO_ROOT } from '../package/pack.js';

export interface Example {
  name: 'vite' | 'webpack' | 'plain';
  /** Where the model and photo go, relative to the example. */
  assets: string;
  /** Build command (node + script from the root devDependencies), if any. */
  build?: string[];
  /** Folder served at /, relative to the example. */
  root: string;
  /** The app also classifies in a worker (loadModel with workers: 1). */
  worker: boolean;
}

export const EXAMPLES: Example[] = [
  { name: 'vite', assets: 'public', build: ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], root: 'dist', worker: true },
  { name: 'webpack', assets: '.', build: ['node_modules/webpack-cli/bin/cli.js', '--no-color'], root: '.', worker: true },
  { name: 'plain', assets: '.', root: '.', worker: false },
];

/** Packs, installs into `dir` and builds every example there; `dir`/NAME/ROOT is what to serve. */
export function buildExamples(dir: string): void {
  buildTs();
  const tarball = packTarball();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  installTarball(tarball, dir);
  rmSync(tarball, { force: true });
  for (const ex of EXAMPLES) {
    const at = join(dir, ex.name);
    cpSync(join(REPO_ROOT, 'examples', ex.name), at, { recursive: true, filter: (s) => !/[\\/](node_modules|dist)$/.test(s) });
    symlinkSync(join(dir, 'node_modules'), join(at, 'node_modules'), 'dir');
    cpSync(join(REPO_ROOT, 'models/cifar10-xnor.xnn'), join(at, ex.assets, 'cifar10-xnor.xnn'));
    cpSync(join(REPO_ROOT, 'web/demo/public/samples/chelsea.png'), join(at, ex.assets, 'chelsea.png'));
    if (ex.build) execFileSync(process.execPath, [join(REPO_ROOT, ex.build[0]), ...ex.build.slice(1)], { cwd: at, stdio: 'inherit' });
  }
}
