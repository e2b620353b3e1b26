// A local HTTP server that sends a body in small writes, one per timer turn: a slow download
// that reaches the client in pieces (loadModel's streamed path).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PiecesServer {
  server: Server;
  /** http://127.0.0.1:port */
  base: string;
  close(): Promise<void>;
}

/**
 * Serves `bodyOf(path)` (null: a 404) in `piece`-byte writes, `delayMs` apart, with a
 * Content-Length header where `sized(path)` (else chunked).
 */
export async function piecesServer(
  bodyOf: (path: string) => Uint8Array | null,
  opts: { piece: number; delayMs?: number; sized: (path: string) => boolean },
): Promise<PiecesServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = bodyOf(path);
    if (!body) return void res.writeHead(404).end('no');
    res.writeHead(200, opts.sized(path) ? { 'content-length': String(body.length) } : {});
    let at = 0;
    const next = () => {
      if (at >= body.length) return void res.end();
      res.write(Buffer.from(body.subarray(at, at + opts.piece)));
      at += opts.piece;
      setTimeout(next, opts.delayMs ?? 0);
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, base, close: () => new Promise<void>((r) => server.close(() => r())) };
}
