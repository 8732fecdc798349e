import { fetchJson, FetchError, type Fetch } from './http-json.js';

/**
 * An app-only access token from the issuer's token endpoint (OAuth 2.0 client credentials grant,
 * RFC 6749 §4.4, with `{resource}/.default` as the Microsoft identity platform wants), cached
 * until a minute before it expires. Stream management and poll delivery are authorised with it.
 */
export interface ClientCredentialsOptions {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** Portcullis authorises SSF receivers on its Graph-compatible resource. */
  scope?: string;
  fetch?: Fetch;
  now?: () => number;
}

export const DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';
const EARLY_RENEWAL_MS = 60_000;

export class ClientCredentials {
  private cached: { token: string; renewAt: number } | null = null;
  private inFlight: Promise<string> | null = null;

  constructor(private readonly options: ClientCredentialsOptions) {}

  /** A valid token, fetched once for concurrent callers. */
  token(): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    if (this.cached && now < this.cached.renewAt) return Promise.resolve(this.cached.token);
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Forget the cached token (after a 401 from the transmitter). */
  invalidate(): void {
    this.cached = null;
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
      scope: this.options.scope ?? DEFAULT_SCOPE,
    });
    const body = await fetchJson(this.options.fetch ?? fetch, this.options.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
    if (typeof body.access_token !== 'string') throw new FetchError('the token endpoint answered no access_token');
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    const now = (this.options.now ?? Date.now)();
    this.cached = { token: body.access_token, renewAt: now + Math.max(0, lifetimeMs - EARLY_RENEWAL_MS) };
    return body.access_token;
  }
}
