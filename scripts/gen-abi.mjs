// Generates src/wasm/abi.generated.ts, the TypeScript side of the kernel ABI, so that it is
// never a hand-kept copy: XnorExports from `asc --bindings raw` over assembly/index.ts (with
// asconfig.json's shared options), and the struct writers and constants from assembly/abi.ts.
// Run by build:wasm and typecheck; writes the file only when its text changes.
// `--assembly DIR --out FILE` point it at another tree (tests/wasm/abi-gen.test.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** TS type of an AS type at the raw wasm boundary (no lifting: bool is an i32). */
const TS_TYPE = {
  i8: 'number', u8: 'number', i16: 'number', u16: 'number', i32: 'number', u32: 'number', bool: 'number',
  f32: 'number', f64: 'number', usize: 'Ptr', isize: 'number', i64: 'bigint', u64: 'bigint', void: 'void',
};
/** DataView setter and size of a struct field type (wasm32). */
const FIELD = { i32: ['setInt32', 4], u32: ['setUint32', 4], usize: ['setUint32', 4], f32: ['setFloat32', 4] };

function fail(msg) {
  throw new Error(`gen-abi: ${msg}`);
}

/** asconfig.json's shared options as asc flags (the bindings build is otherwise unoptimised). */
function ascFlags() {
  const { options } = JSON.parse(readFileSync(join(root, 'asconfig.json'), 'utf8'));
  return Object.entries(options).flatMap(([k, v]) =>
    v === false ? [] : v === true ? [`--${k}`] : Array.isArray(v) ? v.flatMap((x) => [`--${k}`, String(x)]) : [`--${k}`, String(v)]);
}

/** Runs asc on `entry` with raw bindings into a temp dir; returns the .d.ts text. */
function bindings(entry) {
  const dir = mkdtempSync(join(tmpdir(), 'xnor-abi-'));
  try {
    writeFileSync(join(dir, 'asconfig.json'), '{}'); // not the project's: its entries would compile too
    const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
    execFileSync(process.execPath, [asc, entry, ...ascFlags(), '--config', join(dir, 'asconfig.json'),
      '--optimizeLevel', '0', '--shrinkLevel', '0', '--noAssert', '--bindings', 'raw', '-o', join(dir, 'xnor.wasm')],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    return readFileSync(join(dir, 'xnor.d.ts'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The interface members of the exports namespace in asc's .d.ts, typed from its AS annotations. */
function exportMembers(dts) {
  const body = dts.match(/declare namespace __AdaptedExports \{([\s\S]*?)\n\}/)?.[1] ?? fail('no exports namespace in the bindings');
  const members = [];
  const re = /\/\*\*([\s\S]*?)\*\/\s*export (function|const) (\w+)([^;]*);/g;
  let m, seen = 0;
  while ((m = re.exec(body))) {
    seen += m[0].length;
    const [, doc, kind, name, rest] = m;
    if (kind === 'const') {
      if (name !== 'memory') fail(`export const ${name}: only functions and memory cross the ABI`);
      members.push('  memory: WebAssembly.Memory;');
      continue;
    }
    const lines = doc.split('\n').map((l) => l.replace(/^\s*\*?\s?/, '').trim()).filter(Boolean);
    const types = new Map();
    let ret = 'void';
    for (const l of lines) {
      const p = l.match(/^@param (\w+) `(\w+)`$/);
      if (p) types.set(p[1], p[2]);
      const r = l.match(/^@returns `(\w+)`$/);
      if (r) ret = r[1];
    }
    const params = rest.match(/^\(([^)]*)\)/)?.[1] ?? fail(`cannot read the parameters of ${name}`);
    const args = params.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const arg = s.split(':')[0].trim();
      const t = TS_TYPE[types.get(arg)] ?? fail(`${name}(${arg}): AS type ${types.get(arg)} has no raw TS type`);
      return `${arg}: ${t}`;
    });
    const tr = TS_TYPE[ret] ?? fail(`${name}: AS return type ${ret} has no raw TS type`);
    members.push(`  /** ${lines[0]} */`, `  ${name}(${args.join(', ')}): ${tr};`);
  }
  if (!members.length) fail('no exports found in the bindings');
  return members;
}

const upper = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Structs (`@unmanaged export class`) and `export const NAME: i32 = n;` of abi.ts. */
function layouts(src) {
  const out = [];
  const classRe = /((?:\/\*\*[\s\S]*?\*\/\s*)?)@unmanaged export class (\w+) \{([\s\S]*?)\n\}/g;
  let m;
  while ((m = classRe.exec(src))) {
    const [, doc, name, body] = m;
    const fields = [];
    let offset = 0, fieldDoc = '';
    for (const raw of body.split('\n')) {
      const l = raw.trim();
      if (!l) continue;
      if (l.startsWith('/**')) { fieldDoc = l; continue; }
      const f = l.match(/^(\w+): (\w+);(?:\s*\/\/.*)?$/) ?? fail(`${name}: cannot read field line "${l}"`);
      const [setter, size] = FIELD[f[2]] ?? fail(`${name}.${f[1]}: field type ${f[2]} is not one of ${Object.keys(FIELD)}`);
      fields.push({ name: f[1], type: f[2], setter, offset, doc: fieldDoc });
      offset += size;
      fieldDoc = '';
    }
    const U = upper(name);
    out.push(
      `${doc.trim() ? doc.trim().replace(/\n\s*/g, '\n ') + '\n' : ''}export interface ${name} {`,
      ...fields.flatMap((f) => [
        ...(f.doc ? [`  ${f.doc}`] : []),
        `  ${f.name}${f.type === 'usize' ? '?' : ''}: ${f.type === 'usize' ? 'Ptr' : 'number'};`,
      ]),
      '}',
      `/** Bytes of one ${name} (assembly/abi.ts). */`,
      `export const ${U}_BYTES = ${offset};`,
      `/** Byte offset of each ${name} field. */`,
      `export const ${U}_OFFSET = { ${fields.map((f) => `${f.name}: ${f.offset}`).join(', ')} } as const;`,
      `/** Writes a ${name} at \`ptr\` of \`buffer\` (little-endian${fields.some((f) => f.type === 'usize') ? '; an absent pointer is 0' : ''}). */`,
      `export function store${name}(buffer: ArrayBufferLike, ptr: Ptr, s: ${name}): void {`,
      `  const v = new DataView(buffer, ptr, ${offset});`,
      ...fields.map((f) => `  v.${f.setter}(${f.offset}, s.${f.name}${f.type === 'usize' ? ' ?? 0' : ''}, true);`),
      '}',
      '',
    );
  }
  const consts = [...src.matchAll(/^(\/\*\*.*\*\/\n)?export const (\w+): i32 = (-?\d+);/gm)];
  for (const [, doc, name, value] of consts) {
    if (doc) out.push(doc.trimEnd());
    out.push(`export const ${name} = ${value};`);
  }
  if (!out.length) fail('no structs or constants in abi.ts');
  return out;
}

function generate(assembly = join(root, 'assembly')) {
  const members = exportMembers(bindings(join(assembly, 'index.ts')));
  const structs = layouts(readFileSync(join(assembly, 'abi.ts'), 'utf8'));
  return [
    '// Generated by scripts/gen-abi.mjs from assembly/index.ts (asc --bindings raw) and assembly/abi.ts.',
    '// Do not edit: change the AssemblyScript and run `npm run build:wasm` (or `npm run typecheck`).',
    '',
    '/** A byte offset into the kernels\' memory; 0 = absent where a kernel allows it. */',
    'export type Ptr = number;',
    '',
    '/** The raw exports of every xnor*.wasm build (the AS source path of each in its comment). */',
    'export interface XnorExports {',
    ...members,
    '}',
    '',
    ...structs,
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (flag, dflt) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? resolve(process.argv[i + 1]) : dflt;
  };
  const out = arg('--out', join(root, 'src/wasm/abi.generated.ts'));
  const text = generate(arg('--assembly', join(root, 'assembly')));
  if (!existsSync(out) || readFileSync(out, 'utf8') !== text) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
  }
}
