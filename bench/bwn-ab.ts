// A/B of BwnConv2D's kernels (src/runtime/ops.ts BwnKernel) on a shipped BWN model, in one
// process: first each distinct BWN layer shape of the CIFAR ResNet alone (fconv2d vs bwnconv2d,
// alternating rounds, GMAC/s), then both models loaded once, inference timed in alternating
// rounds (medians), then the logits of both over the first N test images (max |Δ|, top-1
// agreement and accuracy of each). Plain (mul + add) build, one thread unless THREADS=n.
// npx tsx bench/bwn-ab.ts [model=cifar10-bwn] [rounds=9] [images=1000]
import { join } from 'node:path';
import { openDataset } from '../src/data/index.js';
import { preprocessImage } from '../src/image/preprocess.js';
import { openModel } from '../src/runtime/model.js';
import { timeIt } from '../src/cli/roofline.js';
import { XnorKernels, convOutSize, type ConvGeometry } from '../src/wasm/kernels.js';
import { REPO_ROOT, fashionMnistDir, sharedFiles } from '../tests/helpers/shared.js';

const [name = 'cifar10-bwn', roundsArg = '9', imagesArg = '1000'] = process.argv.slice(2);
const images = Number(imagesArg);
const threads = Number(process.env.THREADS ?? 1);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

/** One layer shape: both kernels on the same random input and weights, alternating rounds. */
function layerAB(k: XnorKernels, c: number, hw: number, o: number, stride: number): string {
  const e = k.exports;
  const mark = k.mark();
  const g: ConvGeometry = { n: 1, h: hw, w: hw, c, o, kh: 3, kw: 3, strides: [stride, stride], pads: [1, 1, 1, 1], relu: true };
  const [oh, ow] = convOutSize(g);
  const p = k.putConvParams(g);
  const f = k.f32();
  const x = k.alloc(hw * hw * c * 4);
  for (let i = 0; i < hw * hw * c; i++) f[(x >> 2) + i] = Math.sin(i * 0.37);
  const bits = k.alloc(o * 9 * Math.ceil(c / 64) * 8);
  for (let i = 0; i < o * 9 * Math.ceil(c / 64) * 8; i++) k.u8()[bits + i] = (i * 2654435761) >>> 24;
  const mul = k.putF32(new Float32Array(o).fill(0.01)), bias = k.putF32(new Float32Array(o));
  const wf = k.alloc(e.fconvWeightsBytes(p)); e.bwnPrepareWeights(p, bits, mul, wf);
  const wt = k.alloc(e.bwnWeightsBytes(p)); e.bwnPrepare(p, bits, mul, wt);
  const out = k.alloc(oh * ow * o * 4);
  const sf = k.alloc(e.fconvScratchBytes(p)), st = k.alloc(e.bwnScratchBytes(p), 64);
  const tf: number[] = [], tt: number[] = [];
  for (let r = 0; r < rounds; r++) {
    tf.push(timeIt(() => e.fconv2d(p, x, wf, bias, out, sf), 7, 2));
    tt.push(timeIt(() => e.bwnconv2d(p, x, wt, bias, out, st), 7, 2));
  }
  k.release(mark);
  const macs = oh * ow * o * 9 * c;
  const [a, b] = [median(tf), median(tt)];
  return `  3x3 c${c}->${o} ${hw}x${hw} s${stride}: float ${a.toFixed(3)} ms (${(macs / a / 1e6).toFixed(1)} GMAC/s), table ${b.toFixed(3)} ms (${(macs / b / 1e6).toFixed(1)} GMAC/s), ${(a / b).toFixed(2)}x`;
}

const rounds = Number(roundsArg);
const kern = await XnorKernels.load({ relaxedSimd: false });
console.log('layers (the CIFAR ResNet-18 BWN shapes):');
for (const [c, hw, o, s] of [[64, 32, 64, 1], [64, 32, 128, 2], [128, 16, 128, 1], [128, 16, 256, 2], [256, 8, 256, 1], [256, 8, 512, 2], [512, 4, 512, 1]])
  console.log(layerAB(kern, c, hw, o, s));

const load = async (strategy: 'table' | 'float') => {
  return openModel(join(REPO_ROOT, 'models', `${name}.xnn`), { threads, wasm: { bwnKernel: strategy } });
};
const models = { float: await load('float'), table: await load('table') };
const data = name.startsWith('cifar') ? sharedFiles('data/cifar10/test_batch.bin')?.[0] : fashionMnistDir();
if (!data) throw new Error('test set missing');
const set = [];
for await (const s of await openDataset(data)) {
  set.push(s);
  if (set.length >= Math.max(images, 32)) break;
}
const inputs = set.map((s) => preprocessImage(s.image, models.float.info));
const times: Record<string, number[]> = { float: [], table: [] };
for (const m of Object.values(models)) for (let i = 0; i < 20; i++) m.run(inputs[i % inputs.length]);
for (let r = 0; r < rounds; r++) {
  for (const key of (r % 2 ? ['table', 'float'] : ['float', 'table']) as ('float' | 'table')[]) {
    const per: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      models[key].run(inputs[i]);
      per.push(performance.now() - t0);
    }
    times[key].push(median(per));
  }
}
const f = median(times.float), t = median(times.table);
console.log(`${name} threads=${threads}: float ${f.toFixed(2)} ms, table ${t.toFixed(2)} ms (median of ${rounds} rounds' medians), ${(f / t).toFixed(2)}x`);
console.log(`  rounds float ${times.float.map((x) => x.toFixed(2)).join(' ')}`);
console.log(`  rounds table ${times.table.map((x) => x.toFixed(2)).join(' ')}`);
let maxAbs = 0, maxRel = 0, agree = 0;
const top1 = { float: 0, table: 0 };
const argmax = (y: Float32Array) => y.reduce((b, v, i) => (v > y[b] ? i : b), 0);
for (let i = 0; i < images && i < set.length; i++) {
  const a = models.float.run(inputs[i]).data, b = models.table.run(inputs[i]).data;
  const scale = Math.max(...a.map(Math.abs));
  for (let j = 0; j < a.length; j++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[j] - b[j]));
    maxRel = Math.max(maxRel, Math.abs(a[j] - b[j]) / scale);
  }
  if (argmax(a) === argmax(b)) agree++;
  if (argmax(a) === set[i].label) top1.float++;
  if (argmax(b) === set[i].label) top1.table++;
}
const n = Math.min(images, set.length);
console.log(`  logits over ${n} images: max |Δ| ${maxAbs.toExponential(2)}, max |Δ|/max|logit| ${maxRel.toExponential(2)}; top-1 agree ${agree}/${n}; accuracy float ${top1.float / n}, table ${top1.table / n}`);
for (const m of Object.values(models)) m.dispose();
