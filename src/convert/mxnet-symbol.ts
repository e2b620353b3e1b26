// MXNet `-symbol.json`: the node list and typed access to a node's string attributes.

import { ConvertError, UnsupportedOpError } from '../errors.js';

export interface MxNode {
  index: number;
  op: string;
  name: string;
  /** [producer node index, output index] */
  inputs: [number, number][];
  attrs: Record<string, string>;
}

export interface MxSymbol {
  nodes: MxNode[];
  heads: [number, number][];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isIndex = (x: unknown, below: number) => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) < below;

/** Parses and checks the structure of a symbol file (nodes refer only to earlier nodes). */
export function parseSymbol(text: string): MxSymbol {
  const fail = (msg: string): never => {
    throw new ConvertError(`symbol: ${msg}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(json) || !Array.isArray(json.nodes)) return fail('expected an object with a "nodes" array');
  const nodes = json.nodes.map((raw, i): MxNode => {
    if (!isObj(raw)) fail(`nodes[${i}] is not an object`);
    const n = raw as Record<string, unknown>;
    if (typeof n.op !== 'string' || typeof n.name !== 'string') fail(`nodes[${i}] needs string "op" and "name"`);
    // An empty name would become the converted value's name, and "" means "no input" in .xnn.
    if (n.name === '') fail(`nodes[${i}] (${n.op}) has an empty "name"`);
    const where = `node "${n.name}" (${n.op})`;
    if (!Array.isArray(n.inputs)) fail(`${where}: "inputs" must be an array`);
    const inputs = (n.inputs as unknown[]).map((e, j): [number, number] => {
      if (!Array.isArray(e) || !isIndex(e[0], i) || !isIndex(e[1] ?? 0, 1 << 16))
        fail(`${where}: input ${j} must be [earlier node index, output index], got ${JSON.stringify(e)}`);
      return [(e as number[])[0], (e as number[])[1] ?? 0];
    });
    const rawAttrs = n.attrs ?? n.attr ?? n.param ?? {};
    if (!isObj(rawAttrs)) fail(`${where}: attributes must be an object`);
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawAttrs as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`${where}: attribute ${k} must be a string, got ${JSON.stringify(v)}`);
      attrs[k] = v as string;
    }
    return { index: i, op: n.op as string, name: n.name as string, inputs, attrs };
  });
  const rawHeads = json.heads ?? [[nodes.length - 1, 0, 0]];
  if (!Array.isArray(rawHeads) || rawHeads.length === 0) fail('"heads" must be a non-empty array');
  const heads = (rawHeads as unknown[]).map((h): [number, number] => {
    if (!Array.isArray(h) || !isIndex(h[0], nodes.length) || !isIndex(h[1] ?? 0, 1 << 16))
      fail(`heads entry ${JSON.stringify(h)} does not name a node`);
    return [(h as number[])[0], (h as number[])[1] ?? 0];
  });
  return { nodes, heads };
}

/** Typed reads of a node's attributes; any attribute not read or ignored is an error. */
export class NodeAttrs {
  private seen = new Set<string>();
  constructor(readonly node: MxNode) {}

  get where() {
    return `node "${this.node.name}" (${this.node.op})`;
  }
  unsupported(key: string, value = this.node.attrs[key]): never {
    throw new UnsupportedOpError(`${this.where}: attribute ${key}=${value} is not supported`);
  }
  private raw(key: string): string | undefined {
    this.seen.add(key);
    return Object.prototype.hasOwnProperty.call(this.node.attrs, key) ? this.node.attrs[key] : undefined;
  }
  private malformed(key: string, v: string, what: string): never {
    throw new ConvertError(`${this.where}: attribute ${key}=${v} is not ${what}`);
  }

  /** Attributes that do not change inference (workspace, momentum, …). */
  ignore(...keys: string[]) {
    for (const k of keys) this.seen.add(k);
    return this;
  }
  str(key: string, def?: string): string {
    const v = this.raw(key) ?? def;
    if (v === undefined) throw new ConvertError(`${this.where}: attribute ${key} is required`);
    return v;
  }
  int(key: string, def?: number): number {
    const v = this.raw(key);
    if (v === undefined && def !== undefined) return def;
    const s = this.str(key);
    if (!/^\s*-?\d+\s*$/.test(s) || !Number.isSafeInteger(Number(s))) this.malformed(key, s, 'an integer');
    return Number(s);
  }
  float(key: string, def?: number): number {
    const v = this.raw(key);
    if (v === undefined && def !== undefined) return def;
    const s = this.str(key);
    const x = Number(s);
    if (s.trim() === '' || !Number.isFinite(x)) this.malformed(key, s, 'a number');
    return x;
  }
  bool(key: string, def?: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined && def !== undefined) return def;
    const s = this.str(key);
    if (/^(true|1)$/i.test(s)) return true;
    if (/^(false|0)$/i.test(s)) return false;
    return this.malformed(key, s, 'a boolean');
  }
  /** A tuple like "(3, 3)" with exactly `len` non-negative entries. */
  tuple(key: string, len: number, def?: number[]): number[] {
    const v = this.raw(key);
    if (v === undefined && def !== undefined) return def;
    const s = this.str(key);
    const m = /^\s*[([]?\s*([^)\]]*?)\s*,?\s*[)\]]?\s*$/.exec(s);
    const parts = m && m[1] !== '' ? m[1].split(/\s*,\s*/) : [];
    if (!parts.every((p) => /^\d+$/.test(p)) || parts.some((p) => Number(p) > 1 << 20)) this.malformed(key, s, 'a tuple of integers');
    if (parts.length !== len) this.unsupported(key, s);
    return parts.map(Number);
  }
  /** Throws UnsupportedOpError for the first attribute nobody read or ignored (`__x__` annotations aside). */
  done() {
    for (const [k, v] of Object.entries(this.node.attrs)) if (!this.seen.has(k) && !k.startsWith('__')) this.unsupported(k, v);
  }
}
