// Runs a slice of the CIFAR-10 test batch through both the WASM runtime and the reference
// interpreter and reports how many predictions (argmax) and outputs agree.
//   node --import tsx scripts/compare-reference.ts MODEL.xnn TEST_BATCH.bin [N=500]
import { readFileSync } from 'node:fs';
import { readXnn } from '../src/format/index.js';
import { runReference } from '../src/reference/interpreter.js';
import { createWasmBackend } from '../src/runtime/wasm-backend.js';

const [modelPath, batchPath, nArg] = process.argv.slice(2);
const model = readXnn(new Uint8Array(readFileSync(modelPath)));
const batch = readFileSync(batchPath);
const n = Number(nArg ?? 500);
const wasm = await createWasmBackend(model);
const argmax = (v: Float32Array) => v.indexOf(Math.max(...v));
let same = 0;
let worst = 0;
for (let i = 0; i < n; i++) {
  const r = batch.subarray(i * 3073, (i + 1) * 3073);
  const x = new Float32Array(3072);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) x[p * 3 + c] = r[1 + c * 1024 + p];
  const want = runReference(model, x).output.data;
  const got = wasm.run(x);
  if (argmax(got) === argmax(want)) same++;
  for (let c = 0; c < want.length; c++) worst = Math.max(worst, Math.abs(got[c] - want[c]));
  if ((i + 1) % 50 === 0) console.error(`${i + 1}/${n}: same argmax ${same}, max |diff| ${worst}`);
}
console.log(JSON.stringify({ n, sameArgmax: same, maxAbsDiff: worst }));
