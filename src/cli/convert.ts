import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConvertError } from '../errors.js';
import { type Command, needPositionals, stringOption, UsageError } from './common.js';

const PRESETS = ['imagenet', 'cifar10', 'mnist'] as const;
type Preset = (typeof PRESETS)[number];

/** The class list a preset uses unless --labels is given (mnist: the converter's "0".."9"). */
const DEFAULT_LABELS: Record<Preset, string | null> = {
  imagenet: 'imagenet-classes.txt',
  cifar10: 'cifar10-classes.txt',
  mnist: null,
};

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConvertError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export async function readLabels(path: string): Promise<string[]> {
  const lines = (await readInput(path, 'labels file')).toString('utf8').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  return lines;
}

export const convert: Command = {
  summary: 'convert a BMXNet model (symbol .json + .params) to .xnn',
  usage: `xnor-web convert SYMBOL.json PARAMS -o OUT.xnn --preset imagenet|cifar10|mnist [--labels FILE] [--name NAME]

  Converts a BMXNet v1 model. The preset fixes the input (shape, colour, value range) and
  preprocessing. Class names come from --labels (one per line, line i+1 = class i), by default
  the preset's list in models/labels/ (imagenet-classes.txt, cifar10-classes.txt; mnist: 0–9).
  ONNX import is not implemented yet.`,
  options: {
    output: { type: 'string', short: 'o' },
    preset: { type: 'string' },
    labels: { type: 'string' },
    name: { type: 'string' },
  },
  async run(p, io) {
    if (p.positionals[0]?.toLowerCase().endsWith('.onnx'))
      throw new UsageError('convert: ONNX import is not implemented yet (only BMXNet symbol .json + .params for now)');
    needPositionals(p, 'convert', 2, 2, 'SYMBOL.json and PARAMS');
    const out = stringOption(p, 'output');
    if (!out) throw new UsageError('convert: -o OUT.xnn is required');
    const preset = stringOption(p, 'preset');
    if (!preset || !(PRESETS as readonly string[]).includes(preset))
      throw new UsageError(`convert: --preset must be one of ${PRESETS.join('|')}${preset ? `, got "${preset}"` : ''}`);
    const [symbolPath, paramsPath] = p.positionals;
    const labelsPath =
      stringOption(p, 'labels') ??
      (DEFAULT_LABELS[preset as Preset]
        ? fileURLToPath(new URL(`../../models/labels/${DEFAULT_LABELS[preset as Preset]}`, import.meta.url))
        : null);
    const [symbol, params, labels] = await Promise.all([
      readInput(symbolPath, 'symbol file'),
      readInput(paramsPath, 'params file'),
      labelsPath ? readLabels(labelsPath) : Promise.resolve(undefined),
    ]);
    const { convertBmxnet } = await import('../convert/bmxnet.js');
    const { writeXnn } = await import('../format/write.js');
    const { summarize } = await import('../format/summary.js');
    const model = convertBmxnet(symbol.toString('utf8'), params, preset as Preset, {
      labels,
      name: stringOption(p, 'name') ?? basename(paramsPath).replace(/\.params$/, ''),
      sourceFiles: [basename(symbolPath), basename(paramsPath)],
    });
    const bytes = writeXnn(model);
    await writeFile(out, bytes);
    const s = summarize(model);
    io.out(
      `${out}: ${model.metadata.name}, ${s.layers.length} nodes, ${s.params} parameters (${s.binaryParams} binary), ` +
        `${bytes.length} bytes (weights ${(s.floatBytes / Math.max(1, s.bytes)).toFixed(1)}x smaller than float32)\n`,
    );
  },
};
