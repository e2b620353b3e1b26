// The kernel ABI's TS side is generated (scripts/gen-abi.mjs): the file in the tree is what the
// generator makes of assembly/ now, and an AS export whose signature changes without its TS
// callers makes the type check fail.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const gen = join(root, 'scripts/gen-abi.mjs');
const generated = join(root, 'src/wasm/abi.generated.ts');

function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 180_000 });
}

describe('the generated kernel ABI', () => {
  it('src/wasm/abi.generated.ts is what the generator makes of assembly/', () => {
    const dir = join(root, 'node_modules/.cache/abi-gen-test/fresh');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const r = run(process.execPath, [gen, '--out', join(dir, 'abi.generated.ts')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const fresh = readFileSync(join(dir, 'abi.generated.ts'), 'utf8');
    expect(readFileSync(generated, 'utf8')).toBe(fresh);
    expect(fresh).toMatch(/^ {2}bconv2d\(p: Ptr, x: Ptr, w: Ptr, out: Ptr, tr: Ptr, scratch: Ptr\): void;$/m);
    expect(fresh).toContain('export const CONV_PARAMS_BYTES = 80;');
  }, 60_000);

  it('a changed AS export signature fails the type check of its callers', () => {
    const dir = join(root, 'node_modules/.cache/abi-gen-test/changed');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(join(root, 'assembly'), join(dir, 'assembly'), { recursive: true });
    cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
    const kernel = join(dir, 'assembly/float/kmap.ts');
    const before = 'export function kmap(p: usize, x: usize, y: usize, scratch: usize): void {';
    const src = readFileSync(kernel, 'utf8');
    expect(src).toContain(before);
    writeFileSync(kernel, src.replace(before, 'export function kmap(p: usize, x: usize, y: usize, scratch: usize, extra: i32): void {'));
    const g = run(process.execPath, [gen, '--assembly', join(dir, 'assembly'), '--out', join(dir, 'src/wasm/abi.generated.ts')]);
    expect(g.stderr).toBe('');
    expect(g.status).toBe(0);
    const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true }, include: ['src'] }));
    const tsc = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')]);
    expect(tsc.status).not.toBe(0);
    // the runtime's call kmap(p, x, y, scratch) now lacks an argument
    expect(tsc.stdout).toMatch(/src\/runtime\/ops\.ts\(\d+,\d+\): error TS2554: Expected 5 arguments, but got 4\./);
  }, 180_000);
});
