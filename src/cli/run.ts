import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { type Command, needPositionals, openModel, stringOption, UsageError } from './common.js';
import { readNpy, writeNpy } from './npy.js';

export const runCmd: Command = {
  summary: 'run a raw tensor through a model (.npy in, .npy out)',
  usage: `xnor-web run MODEL.xnn --input IN.npy --output OUT.npy [--backend wasm|reference]

  IN.npy holds the model's input in its declared shape (e.g. [1,224,224,3] NHWC; the leading
  batch dimension of 1 may be left out), float32, float64 or uint8, C order. No preprocessing
  is applied. OUT.npy receives the raw output as float32.`,
  options: { input: { type: 'string' }, output: { type: 'string' } },
  async run(p, io) {
    needPositionals(p, 'run', 1, 1, 'MODEL.xnn');
    const inPath = stringOption(p, 'input');
    const outPath = stringOption(p, 'output');
    if (!inPath || !outPath) throw new UsageError('run: --input IN.npy and --output OUT.npy are required');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(inPath);
    } catch (e) {
      throw new InputError(`cannot read ${inPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const arr = readNpy(bytes, inPath);
    const model = await openModel(p.positionals[0], p);
    try {
      const want = model.inputShape;
      const same = (s: readonly number[]) => s.length === want.length && s.every((d, i) => d === want[i]);
      const ok = same(arr.shape) || (want[0] === 1 && same([1, ...arr.shape]));
      if (!ok) throw new InputError(`${inPath}: shape [${arr.shape.join(',')}] differs from the model's input [${want.join(',')}]`);
      const y = model.run(arr.data);
      await writeFile(outPath, writeNpy(y.shape, y.data));
      io.out(`${outPath}: [${y.shape.join(',')}] float32\n`);
    } finally {
      model.dispose();
    }
  },
};
