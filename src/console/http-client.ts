/**
 * How the console reaches Portcullis: real HTTP to the configured public URL, as any other client
 * of the instance would (so the console works against any instance and uses only what the public
 * APIs offer). Under TLS the server's own certificate is trusted besides the usual roots, so a
 * self-signed `serve --tls-self-signed` works too.
 */
import { rootCertificates } from 'node:tls';
import { Agent, fetch } from 'undici';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export class ConsoleHttp {
  private readonly agent: Agent | undefined;

  constructor(
    readonly publicUrl: string,
    ownCertificate?: string | Buffer,
  ) {
    this.agent = ownCertificate
      ? new Agent({ connect: { ca: [...rootCertificates, ownCertificate.toString()] }, connections: 16 })
      : new Agent({ connections: 16 });
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
    const res = await fetch(url, { method, headers, body, dispatcher: this.agent, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers as unknown as Headers, body: parsed };
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }
}
