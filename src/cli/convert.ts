import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConvertError } from '../errors.js';
import type { XnnModel } from '../format/xnn.js';
import type { AccuracyRecord } from '../types.js';
import { type Command, type Io, needPositionals, type Parsed, stringOption, UsageError } from './common.js';

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
  summary: 'convert an ONNX model or a BMXNet model (symbol .json + .params) to .xnn',
  usage: `xnor-web convert MODEL.onnx -o OUT.xnn [--labels FILE] [--name NAME] [--input-size H,W] [--channels C] [--batch N]
         [--value-range LO,HI] [--mean A,B,C] [--std A,B,C] [--resize-short-side N] [--center-crop H,W]
         [--accuracy DATASET:N:TOP1[:TOP5]]
       xnor-web convert SYMBOL.json PARAMS -o OUT.xnn --preset imagenet|cifar10|mnist [--labels FILE] [--name NAME]
         [--accuracy DATASET:N:TOP1[:TOP5]]

  ONNX: binary layers as exported by training/xnor_torch (export_onnx) become XNOR (BinConv2D,
  BinDense, with the K map) and BWN (BwnConv2D, BwnDense) layers; see docs or
  training/ONNX_PATTERNS.md; plain-PyTorch BNNs (torch.sign, weights binarized in forward) as
  training/README.md describes. A rank-4 ONNX input [N,C,H,W] is declared NHWC [N,H,W,C], any
  other rank as it is; --input-size/--channels are needed only where the ONNX dims are
  symbolic, --batch N sets a symbolic batch (default 1). The preprocessing
  options are recorded in the .xnn (defaults: pixels scaled to [0,1], no resize/crop, mean 0,
  std 1: the xnor_torch nets normalise inside the graph).

  BMXNet v1: the preset fixes the input (shape, colour, value range) and preprocessing.

  Class names come from --labels (one per line, line i+1 = class i); for BMXNet by default the
  preset's list in models/labels/ (imagenet-classes.txt, cifar10-classes.txt; mnist: 0–9).`,
  options: {
    output: { type: 'string', short: 'o' },
    preset: { type: 'string' },
    labels: { type: 'string' },
    name: { type: 'string' },
    'input-size': { type: 'string' },
    channels: { type: 'string' },
    batch: { type: 'string' },
    'value-range': { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    'resize-short-side': { type: 'string' },
    'center-crop': { type: 'string' },
    accuracy: { type: 'string', multiple: true },
  },
  async run(p, io) {
    if (p.positionals[0]?.toLowerCase().endsWith('.onnx')) return convertOnnxFile(p, io);
    for (const k of ONNX_ONLY) if (p.values[k] !== undefined) throw new UsageError(`convert: --${k} is only for ONNX models`);
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
    const model = convertBmxnet(symbol.toString('utf8'), params, preset as Preset, {
      labels,
      name: stringOption(p, 'name') ?? basename(paramsPath).replace(/\.params$/, ''),
      sourceFiles: [basename(symbolPath), basename(paramsPath)],
      accuracy: ((p.values.accuracy ?? []) as unknown as string[]).map(accuracyRecord),
    });
    await save(model, out, io);
  },
};

const ONNX_ONLY = ['input-size', 'channels', 'batch', 'value-range', 'mean', 'std', 'resize-short-side', 'center-crop'] as const;

async function save(model: XnnModel, out: string, io: Io) {
  const { writeXnn } = await import('../format/write.js');
  const { summarize } = await import('../format/summary.js');
  const bytes = writeXnn(model);
  await writeFile(out, bytes);
  const s = summarize(model);
  io.out(
    `${out}: ${model.metadata.name}, ${s.layers.length} nodes, ${s.params} parameters (${s.binaryParams} binary), ` +
      `${bytes.length} bytes (weights ${(s.floatBytes / Math.max(1, s.bytes)).toFixed(1)}x smaller than float32)\n`,
  );
}

/** "a,b,c" → numbers (count: exact length; integer: whole numbers >= 1). */
function numberList(p: Parsed, name: string, count?: number, integer = false): number[] | undefined {
  const v = stringOption(p, name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => x.trim());
  const nums = parts.map(Number);
  const ok = parts.every((x) => x !== '') && nums.every((n) => Number.isFinite(n) && (!integer || (Number.isInteger(n) && n >= 1)));
  if (!ok || (count !== undefined && nums.length !== count))
    throw new UsageError(`convert: --${name} must be ${count ?? 'a list of'} comma-separated ${integer ? 'positive integers' : 'numbers'}, got "${v}"`);
  return nums;
}

/** DATASET:N:TOP1[:TOP5], accuracies as fractions in [0, 1]. */
function accuracyRecord(s: string): AccuracyRecord {
  const m = /^(.+):(\d+):([0-9.]+)(?::([0-9.]+))?$/.exec(s);
  const top1 = m ? Number(m[3]) : NaN;
  const top5 = m?.[4] !== undefined ? Number(m[4]) : undefined;
  if (!m || !(top1 >= 0 && top1 <= 1) || (top5 !== undefined && !(top5 >= 0 && top5 <= 1)))
    throw new UsageError(`convert: --accuracy must be DATASET:N:TOP1[:TOP5] with accuracies in [0,1], got "${s}"`);
  return { dataset: m[1], n: Number(m[2]), top1, ...(top5 !== undefined ? { top5 } : {}) };
}

async function convertOnnxFile(p: Parsed, io: Io) {
  needPositionals(p, 'convert', 1, 1, 'MODEL.onnx');
  if (p.values.preset !== undefined) throw new UsageError('convert: --preset is only for BMXNet models');
  const out = stringOption(p, 'output');
  if (!out) throw new UsageError('convert: -o OUT.xnn is required');
  const [path] = p.positionals;
  const size = numberList(p, 'input-size', 2, true) as [number, number] | undefined;
  const channels = numberList(p, 'channels', 1, true)?.[0];
  const batch = numberList(p, 'batch', 1, true)?.[0];
  const range = numberList(p, 'value-range', 2) as [number, number] | undefined;
  if (range && !(range[0] < range[1])) throw new UsageError('convert: --value-range needs LO < HI');
  const resize = numberList(p, 'resize-short-side', 1, true)?.[0];
  const crop = numberList(p, 'center-crop', 2, true) as [number, number] | undefined;
  const accuracy = ((p.values.accuracy ?? []) as unknown as string[]).map(accuracyRecord);
  const labelsPath = stringOption(p, 'labels');
  const [bytes, labels] = await Promise.all([readInput(path, 'ONNX model'), labelsPath ? readLabels(labelsPath) : Promise.resolve(undefined)]);
  const { convertOnnx } = await import('../convert/onnx.js');
  const model = convertOnnx(bytes, {
    labels,
    name: stringOption(p, 'name') ?? basename(path).replace(/\.onnx$/i, ''),
    sourceFiles: [basename(path)],
    inputSize: size ?? crop,
    channels,
    batch,
    valueRange: range,
    accuracy,
    preprocess: {
      resizeShortSide: resize ?? null,
      centerCrop: crop ?? null,
      ...(p.values.mean !== undefined ? { mean: numberList(p, 'mean') } : {}),
      ...(p.values.std !== undefined ? { std: numberList(p, 'std') } : {}),
    },
  });
  await save(model, out, io);
}
