// Sets `integerStem` on the qualifying stems of .xnn files in place (src/convert/integer-stem.ts).
// Usage: node --import tsx scripts/mark-integer-stem.ts models/NAME.xnn...
import { readFileSync, writeFileSync } from 'node:fs';
import { markIntegerStems } from '../src/convert/integer-stem.js';
import { readXnn, writeXnn } from '../src/format/index.js';

for (const file of process.argv.slice(2)) {
  const model = readXnn(new Uint8Array(readFileSync(file)));
  const marked = markIntegerStems(model);
  if (marked.length) writeFileSync(file, writeXnn(model));
  console.log(`${file}: integerStem on ${marked.length ? marked.join(', ') : 'no node'}`);
}
