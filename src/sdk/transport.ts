/**
 * One Graph HTTP call with what every call needs: the bearer token from the caller's provider,
 * Graph's request headers, bounded retries on 429/503/504 honouring Retry-After (https://learn.microsoft.com/graph/throttling),
 * one token refresh on 401 (a CAE claims challenge or an expired token, https://learn.microsoft.com/entra/identity-platform/claims-challenge), and GraphError for
 * any other non-2xx answer.
 */
import { randomUUID } from 'node:crypto';
import { GraphError, parseRetryAfter } from './graph-error.js';
import type { GraphVersion, ResponseInfo } from './types.js';

/** Returns a bearer token; `forceRefresh` asks for a new one (the last was refused with 401). */
export type TokenProvider = (request: { forceRefresh: boolean }) => Promise<string>;

export interface GraphClientOptions {
  /** Origin (and optional path prefix) of a Graph-compatible API, e.g. `https://graph.microsoft.com`. */
  baseUrl: string;
  /** Default API version (v1.0). */
  version?: GraphVersion;
  token: TokenProvider;
  /** Sent with every request (the cmdlets' -Headers). */
  headers?: Record<string, string>;
  /** Retries after 429/503/504 (default 3; 0 = none). */
  maxRetries?: number;
  /** Longest single wait honoured, in seconds (default 60); a longer Retry-After is shortened to it. */
  maxRetryAfterSeconds?: number;
  /** Called with every HTTP answer, including ones that are retried. */
  onResponse?: (info: ResponseInfo) => void;
  /** Stops waiting and aborts in-flight requests. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export interface CallOptions {
  version?: GraphVersion;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const RETRIED_STATUSES = new Set([429, 503, 504]);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => (out[name] = value));
  return out;
}

export class GraphTransport {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(readonly options: GraphClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  get version(): GraphVersion {
    return this.options.version ?? 'v1.0';
  }

  /** An absolute URL for `path` under the version; an absolute nextLink keeps only its path + query, on our base. */
  url(path: string, opts: CallOptions = {}): string {
    let url: URL;
    if (/^https?:\/\//i.test(path)) {
      // nextLinks carry the server's public origin; a client may reach it under another name.
      const link = new URL(path);
      url = new URL(`${new URL(this.base).origin}${link.pathname}${link.search}`);
    } else {
      url = new URL(`${this.base}/${opts.version ?? this.version}/${path.replace(/^\/+/, '')}`);
    }
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async call(method: string, path: string, opts: CallOptions = {}): Promise<RawResponse> {
    const url = this.url(path, opts);
    const maxRetries = this.options.maxRetries ?? 3;
    const cap = (this.options.maxRetryAfterSeconds ?? 60) * 1000;
    let forceRefresh = false;
    let refreshed = false;
    // Bounded: at most maxRetries throttling retries plus one re-authentication.
    for (let attempt = 0; ; attempt++) {
      const token = await this.options.token({ forceRefresh });
      const res = await this.fetchImpl(url, {
        method,
        headers: {
          accept: 'application/json',
          'client-request-id': randomUUID(),
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...this.options.headers,
          ...opts.headers,
          authorization: `Bearer ${token}`,
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      const text = await res.text();
      const headers = headerRecord(res.headers);
      this.options.onResponse?.({ method, url, status: res.status, headers });
      let body: unknown;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      if (res.ok) return { status: res.status, headers, body };
      if (res.status === 401 && !refreshed) {
        refreshed = forceRefresh = true;
        continue;
      }
      if (RETRIED_STATUSES.has(res.status) && attempt < maxRetries) {
        const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
        const backoff = retryAfter !== null ? retryAfter * 1000 : 1000 * 2 ** attempt + Math.random() * 250;
        await sleep(Math.min(cap, backoff), this.options.signal);
        forceRefresh = false;
        continue;
      }
      throw GraphError.from(res.status, (n) => res.headers.get(n), body);
    }
  }
}
