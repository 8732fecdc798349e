import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A real TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL), used to take the
 * database away from one app without stopping the shared server other test files use:
 * - 'forward': pipes bytes both ways;
 * - 'refuse': cuts every open connection and closes the port (ECONNREFUSED, like a stopped server);
 * - 'blackhole': accepts connections and never answers (a hung server or network: pool timeouts);
 * - dropConnections(): cuts what is open, keeps forwarding (test/faults/postgres-drops.test.ts);
 * - stall(): what is open goes silent without being closed, new connections are forwarded.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private mode: 'forward' | 'blackhole' = 'forward';

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
    const proxy = new TcpProxy(port, target);
    const bound = await proxy.listen(port);
    return Object.assign(proxy, { port: bound }) as TcpProxy;
  }

  private listen(port: number): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === 'blackhole') return;
    const upstream = connect(this.target.port, this.target.host);
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    // When one side goes away (including by an error or reset, which pipe() does not pass on),
    // so does the other, as with a real proxy; unless the pair was stalled on purpose.
    const pair = { client, upstream };
    this.pairs.add(pair);
    const closeOther = (other: Socket) => () => {
      this.pairs.delete(pair);
      if (!this.stalled.has(client)) other.destroy();
    };
    client.once('close', closeOther(upstream));
    upstream.once('close', closeOther(client));
  }

  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private readonly stalled = new Set<Socket>();

  /**
   * Every open connection stops carrying bytes, in both directions, and stays open: a database
   * host that vanished without a FIN or RST. New connections are forwarded as usual. The stalled
   * ones stay silent until dropConnections(), refuse() or close() cuts them.
   */
  stall(): number {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      this.stalled.add(client);
    }
    const n = this.pairs.size;
    this.pairs.clear();
    return n;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('error', () => s.destroy());
    s.on('close', () => this.sockets.delete(s));
  }

  private cutAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.stalled.clear();
  }

  /** Like a stopped database: open connections die, new ones are refused. */
  async refuse(): Promise<void> {
    this.cutAll();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** Like a hung database: open connections die, new ones hang. */
  async blackhole(): Promise<void> {
    this.cutAll();
    this.mode = 'blackhole';
    if (!this.server) await this.listen(this.port);
  }

  /** The database is back, on the same address. */
  async forward(): Promise<void> {
    if (this.mode === 'blackhole') this.cutAll();
    this.mode = 'forward';
    if (!this.server) await this.listen(this.port);
  }

  /**
   * Cuts every open connection mid-whatever-it-was-doing (a transaction, a query, LISTEN) and keeps
   * forwarding new ones: a network blip or a restarted middlebox, as the fault tests inject it.
   * Returns how many connections (client side) were cut.
   */
  dropConnections(): number {
    const clients = [...this.sockets].filter((s) => s.localPort === this.port).length;
    this.cutAll();
    return clients;
  }

  async close(): Promise<void> {
    await this.refuse();
  }
}
