import { createServer, request, type Server } from 'node:http';

/**
 * A plain HTTP proxy on 127.0.0.1 in front of a real server that counts the requests per path:
 * how many times a verifier really fetched the JWKS, seen from the network rather than from
 * inside the verifier. Requests are forwarded unchanged (method, path, headers, body).
 */
export class CountingProxy {
  private readonly counts = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, port = 0): Promise<CountingProxy> {
    let proxy: CountingProxy | null = null;
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      proxy?.counts.set(path, (proxy.counts.get(path) ?? 0) + 1);
      const upstream = request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.once('error', () => {
        res.writeHead(502).end();
      });
      req.pipe(upstream);
    });
    const bound = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
    proxy = new CountingProxy(server, bound);
    return proxy;
  }

  /** Requests seen so far whose path ends with `suffix`. */
  count(suffix: string): number {
    let n = 0;
    for (const [path, c] of this.counts) if (path.endsWith(suffix)) n += c;
    return n;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
