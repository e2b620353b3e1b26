#!/usr/bin/env node
// The xnor-web command line; the implementation is src/cli/main.ts, built to dist/ by `npm run build`.
import { cli } from '../dist/cli/main.js';

await cli();
