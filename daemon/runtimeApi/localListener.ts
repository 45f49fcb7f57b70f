import { createServer, type Server } from 'node:http';
import { MAX_BODY_BYTES, type RuntimeRequestHandler } from './types';

/** The runtime API for local-process jobs: HTTP on 127.0.0.1, a random port, token-guarded. */
export class LocalRuntimeListener {
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly handler: RuntimeRequestHandler) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    // Node checks for stalled requests every 30 s by default, which wakes an idle daemon twice a minute;
    // the listener serves local jobs only, so a coarser check is enough.
    const server = createServer({ connectionsCheckingInterval: 5 * 60_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
          res.end(JSON.stringify({ success: false, error: { code: 'too_large', kind: 'too_large', message: 'Bodies are limited to 1 MiB' } }));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (res.writableEnded) return;
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        void this.handler({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks) }).then(
          (response) => {
            res.writeHead(response.status, response.headers);
            res.end(response.body);
          },
        );
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
