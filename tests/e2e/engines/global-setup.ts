// The cross-engine suite's global setup: the e2e one (models, wasm, demo + widget builds), then
// a COOP/COEP server of its own (→ E2E_BASE_URL) over a root that links dist/demo, dist/widget
// the built examples/ apps and the shared data sets (/__engines/cifar10,
// /__engines/imagenet), so that the pages fetch
// the data from their own origin without copying it (and nothing lands in dist/, which is packed).
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '../../../web/serve.js';
import { REPO_ROOT, SHARED_DIR, sharedFiles } from '../../helpers/shared.js';
import { buildExamples } from '../examples-build.js';
import e2eSetup from '../global-setup.js';
import { CACHE_DIR } from './reference.js';

export default async function globalSetup() {
  const e2eTeardown = await e2eSetup(); // builds; its server (on dist/) is not used
  const root = join(CACHE_DIR, 'www');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, '__engines'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'dist/demo'), join(root, 'demo'));
  symlinkSync(join(REPO_ROOT, 'dist/widget'), join(root, 'widget'));
  // The examples/ apps from the packed package (vite, webpack, plain); apps.engine.ts serves each.
  buildExamples(join(root, 'examples'));
  // Missing data: the tests needing it skip, or fail with CI=true (they call sharedFiles too).
  if (sharedFiles('data/cifar10/test_batch.bin')) symlinkSync(join(SHARED_DIR, 'data/cifar10'), join(root, '__engines/cifar10'));
  if (sharedFiles('data/imagenet-sample/labels.tsv')) symlinkSync(join(SHARED_DIR, 'data/imagenet-sample'), join(root, '__engines/imagenet'));
  // This run's results (the README table is made from them). ENGINES_KEEP_RESULTS=1 keeps the
  // last run's, to re-check the README alone: `--project=report --no-deps`.
  if (process.env.ENGINES_KEEP_RESULTS !== '1') rmSync(join(CACHE_DIR, 'results'), { recursive: true, force: true });
  const { server, url } = await serve(root);
  process.env.E2E_BASE_URL = url;
  console.log(`engines: serving ${root} at ${url}`);
  return async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    await e2eTeardown();
  };
}
