#!/usr/bin/env node
// The xnor-web command line; the implementation is src/cli/main.ts, built to dist/ by `npm run build`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  // A source checkout that has not been built (an installed package always has dist/).
  console.error('xnor-web: the CLI is not built yet (dist/cli/main.js is missing): run `npm run build` (or `npm start`) in the repository first.');
  process.exit(1);
}
const { cli } = await import(main.href);
await cli();
