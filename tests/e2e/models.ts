// Test helpers: the server's URL, and models that may be missing (built by `npm run models`
// from the shared folder): a test needing one skips locally and fails when CI=true.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '@playwright/test';
import { REPO_ROOT } from '../helpers/shared.js';

export function baseUrl(): string {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error('E2E_BASE_URL is not set: run through `npm run test:e2e` (global setup)');
  return url;
}

/** The demo-relative URL of a model under models/, or skips (fails with CI=true) when missing. */
export function requireModel(rel: string): string {
  const file = join(REPO_ROOT, 'models', rel);
  if (!existsSync(file)) {
    const why = `models/${rel} is missing (run \`npm run models\` with the shared folder present)`;
    if (process.env.CI === 'true') throw new Error(`${why}; CI=true, so this fails instead of skipping`);
    test.skip(true, why);
  }
  return `models/${rel}`;
}

/** Shipped (committed): every e2e run has it, with or without the shared folder. */
export const IMAGENET = 'imagenet-resnet18.xnn';
