// The README's API example is the file that `npm run typecheck` (and check:package, against the
// tarball) compiles as a consumer: tests/package/consumer/readme-example.ts. Keep them equal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';

it("the README's API example is the type-checked consumer file", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /```ts\n(import \{ loadModel \} from 'xnor-web';[\s\S]*?)```/.exec(readme)?.[1];
  expect(block, 'README has a ```ts block that imports loadModel').toBeTruthy();
  const consumer = readFileSync(join(REPO_ROOT, 'tests/package/consumer/readme-example.ts'), 'utf8');
  const body = consumer.slice(consumer.indexOf("import { loadModel }"), consumer.lastIndexOf('\nexport {};'));
  expect(body).toBe(block);
});
