// The public surface: what src/index.ts exports, counted by the TypeScript checker (values and
// types), each name with a TSDoc comment where it is declared, and fewer than the 59 names
// before the one-session API (issue 14). Internals stay out.
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';

function publicNames(): { name: string; documented: boolean }[] {
  const entry = join(REPO_ROOT, 'src/index.ts');
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true });
  const checker = program.getTypeChecker();
  const mod = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return checker.getExportsOfModule(mod).map((s) => {
    const real = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    const docs = (real.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
    return { name: s.name, documented: docs };
  });
}

describe('src/index.ts', () => {
  const names = publicNames();
  it('exports fewer names than before issue 14 (59), none of them internal', () => {
    console.log(`src/index.ts exports ${names.length} names`);
    expect(names.length).toBeLessThan(59);
    const list = names.map((n) => n.name);
    expect(list).toContain('loadModel');
    for (const internal of ['createWorkerApi', 'threadsAvailable', 'simdSupported', 'registerBackend', 'backendNames', 'fetchModel', 'fetchModelBytes', 'rawImageFrom', 'Model'])
      expect(list, internal).not.toContain(internal);
  });
  it('documents every name where it is declared', () => {
    expect(names.filter((n) => !n.documented).map((n) => n.name)).toEqual([]);
  });
});
