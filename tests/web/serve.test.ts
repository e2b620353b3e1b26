// web/serve.ts answers bodies from memory in one write: the bytes and headers must be the
// file's, and a file changed on disk must be served changed (no stale copy).
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../web/serve.js';
import { mulberry32 as rng } from '../helpers/rng.js';

let dir: string;
let server: Server;
let url: string;

/** Byte equality (toEqual walks 3 MB element by element). */
const same = (a: ArrayBuffer, b: Uint8Array) => Buffer.from(a).equals(b);

function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xnor-serve-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub/index.html'), '<!doctype html><title>sub</title>');
  ({ server, url } = await serve(dir));
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve', () => {
  it('serves a file as it is on disk, again after it changes (size or only mtime)', async () => {
    const file = join(dir, 'm.xnn');
    const first = randomBytes(3 << 20, 1);
    writeFileSync(file, first);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url}/m.xnn`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(first.length));
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(same(await res.arrayBuffer(), first)).toBe(true);
    }
    const second = randomBytes(1000, 2);
    writeFileSync(file, second);
    expect(same(await (await fetch(`${url}/m.xnn`)).arrayBuffer(), second)).toBe(true);
    // same size, new content: told apart by the mtime
    const third = randomBytes(1000, 3);
    writeFileSync(file, third);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(same(await (await fetch(`${url}/m.xnn`)).arrayBuffer(), third)).toBe(true);
  });

  it('HEAD gives the length without a body; a missing file an HTML 404; a directory its index', async () => {
    writeFileSync(join(dir, 'h.bin'), randomBytes(777, 4));
    const head = await fetch(`${url}/h.bin`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('777');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const missing = await fetch(`${url}/nope.xnn`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/text\/html/);
    const redirect = await fetch(`${url}/sub`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(await (await fetch(`${url}/sub/`)).text()).toContain('<title>sub</title>');
  });
});
