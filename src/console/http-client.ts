/**
 * How the console reaches Portcullis: real HTTP to the configured public URL, as any other client
 * of the instance would (so the console works against any instance and uses only what the public
 * APIs offer). Under TLS the server's own certificate is trusted besides the usual roots, so a
 * self-signed `serve --tls-self-signed` works too.
 */
import { rootCertificates } from 'node:tls';
import type { Agent } from 'undici';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export class ConsoleHttp {
  /** Loaded on the first request: `serve` and the CLI start without paying for undici. */
  private client: Promise<{ agent: Agent; fetch: typeof import('undici').fetch }> | null = null;

  constructor(
    readonly publicUrl: string,
    private readonly ownCertificate?: string | Buffer,
  ) {}

  private load() {
    this.client ??= import('undici').then(({ Agent, fetch }) => ({
      fetch,
      agent: this.ownCertificate
        ? new Agent({ connect: { ca: [...rootCertificates, this.ownCertificate.toString()] }, connections: 16 })
        : new Agent({ connections: 16 }),
    }));
    return this.client;
  }

  async send(
    method: string,
    path: string,
    options: { bearer?: string; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<HttpAnswer> {
    // Named, so the sessions it holds are recognisable in the inventory (core/user-agent.ts).
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Portcullis Console', ...(options.headers ?? {}) };
    let body: string | undefined;
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const url = path.startsWith('http') ? path : `${this.publicUrl}${path}`;
    const { fetch, agent } = await this.load();
    const res = await fetch(url, { method, headers, body, dispatcher: agent, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers as unknown as Headers, body: parsed };
  }

  async close(): Promise<void> {
    if (this.client) await (await this.client).agent.close();
  }
}
