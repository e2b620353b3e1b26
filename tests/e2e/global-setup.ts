// Builds what the browser tests load and serves it; returns the teardown.
//  - models/build/*.xnn: `npm run models` when missing and the shared folder has the sources
//    (tests that need a missing model skip, or fail when CI=true: see ./models.ts);
//  - src/wasm/*.wasm (`npm run build:wasm`) when one of them is missing;
//  - dist/demo and dist/widget (vite builds) unless E2E_SKIP_BUILD=1;
//  - a static server with COOP/COEP on 127.0.0.1, a free port → E2E_BASE_URL.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '../../web/serve.js';
import { REPO_ROOT, sharedFiles } from '../helpers/shared.js';

const run = (cmd: string) => execSync(cmd, { cwd: REPO_ROOT, stdio: 'inherit', env: process.env });

export default async function globalSetup() {
  if (!existsSync(join(REPO_ROOT, 'models/build/cifar10-resnet18.xnn'))) {
    const src = sharedFiles(
      'models/bmxnet/binarized_cifar10-resnet18-64bit-symbol.json',
      'models/bmxnet/binarized_cifar10-resnet18-64bit-0000.params',
    );
    if (src) run('npm run models --silent');
  }
  const builds = ['xnor.wasm', 'xnor.relaxed.wasm', 'xnor.fma.wasm', 'xnor.mt.wasm', 'xnor.mt.relaxed.wasm', 'xnor.mt.fma.wasm'];
  if (builds.some((f) => !existsSync(join(REPO_ROOT, 'src/wasm', f)))) run('npm run build:wasm --silent');
  if (process.env.E2E_SKIP_BUILD !== '1') {
    run('npx vite build --logLevel error -c web/demo/vite.config.ts');
    run('npx vite build --logLevel error -c web/widget/vite.config.ts');
  }
  const { server, url } = await serve(join(REPO_ROOT, 'dist'));
  process.env.E2E_BASE_URL = url;
  console.log(`e2e: serving dist/ at ${url}`);
  return async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  };
}
