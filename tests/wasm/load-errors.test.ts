// A .wasm that is missing, or replaced by an HTML page, is reported as such (WasmLoadError).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWasm } from '../../src/wasm/load.js';

const HTML = '<!DOCTYPE html><html><body>app shell</body></html>';
const server = createServer((req, res) => {
  if (req.url === '/html.wasm') res.writeHead(200, { 'content-type': 'text/html' }).end(HTML);
  else res.writeHead(404).end('not found');
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('loadWasm errors', () => {
  it('names an HTML page served instead of the .wasm', async () => {
    const e = await loadWasm({ source: new URL(`${base}/html.wasm`) }).catch((x) => x);
    expect(e.name).toBe('WasmLoadError');
    expect(e.message).toMatch(/html\.wasm is an HTML page/);
  });
  it('names a 404 with the URL', async () => {
    const e = await loadWasm({ source: new URL(`${base}/missing.wasm`) }).catch((x) => x);
    expect(e.name).toBe('WasmLoadError');
    expect(e.message).toContain('missing.wasm');
    expect(e.message).toContain('404');
  });
  it('rejects bytes that are not WebAssembly', async () => {
    const e = await loadWasm({ source: new TextEncoder().encode(HTML) }).catch((x) => x);
    expect(e.name).toBe('WasmLoadError');
    const junk = await loadWasm({ source: new Uint8Array([1, 2, 3, 4, 5]) }).catch((x) => x);
    expect(junk.message).toMatch(/not a WebAssembly module \(it starts with 01 02 03 04\)/);
  });
  it('still loads the real module', async () => {
    const inst = await loadWasm();
    expect(typeof inst.exports.bconv2d).toBe('function');
  });
});
