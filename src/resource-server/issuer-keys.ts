import { createRemoteJWKSet, customFetch, jwksCache, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { fetchJson, HTTP_TIMEOUT_MS, type Fetch } from './http-json.js';

/**
 * The issuer's signing keys (RFC 7517 JWK Set at the discovery document's `jwks_uri`), held by
 * jose's createRemoteJWKSet. A token naming a key id we do not hold may come from a key the
 * issuer has just rotated to (docs/deployment.md, key rotation), so an unknown `kid` triggers a
 * refetch — at most one per `minRefetchIntervalMs` (jose's `cooldownDuration`), so a flood of
 * tokens with made-up key ids cannot turn this API into a load generator against the issuer.
 * Keys older than `maxAgeMs` are refetched in the background: a request never waits for that
 * fetch, and an issuer that cannot be reached leaves the keys we hold in use.
 */
export interface IssuerKeysOptions {
  jwksUri: string;
  fetch: Fetch;
  minRefetchIntervalMs: number;
  maxAgeMs: number;
}

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

export class IssuerKeys {
  private refreshedAt = Date.now();

  private constructor(
    private readonly remote: RemoteJwks,
    private readonly options: IssuerKeysOptions,
  ) {}

  /** Fetches the key set once; rejects if the issuer cannot be reached (callers fail to start). */
  static async load(options: IssuerKeysOptions): Promise<IssuerKeys> {
    const jwks = (await fetchJson(options.fetch, options.jwksUri)) as unknown as JSONWebKeySet;
    const remote = createRemoteJWKSet(new URL(options.jwksUri), {
      cooldownDuration: options.minRefetchIntervalMs,
      // Never blocks a request on a stale set: getKey refreshes it in the background instead.
      cacheMaxAge: Number.POSITIVE_INFINITY,
      timeoutDuration: HTTP_TIMEOUT_MS,
      [customFetch]: options.fetch,
      // The start-up fetch opens no cooldown (it is dated one cooldown back): a key rotated in just
      // after start is fetched on first sight, as any unknown kid is at most once per interval.
      [jwksCache]: { jwks, uat: Date.now() - options.minRefetchIntervalMs },
    });
    return new IssuerKeys(remote, options);
  }

  /** jose's key resolver for jwtVerify: the key for the header's kid, refetching as above. */
  readonly getKey: JWTVerifyGetKey = (header, token) => {
    const now = Date.now();
    if (now - this.refreshedAt >= this.options.maxAgeMs && !this.remote.reloading) {
      this.refreshedAt = now;
      void this.remote.reload().catch(() => undefined);
    }
    return this.remote(header, token);
  };

  /**
   * Whether `kid` can be had: `found` (held, or held after a refetch), `unknown` after a fresh
   * fetch did not list it, `unavailable` when no fetch could be made (cooldown, issuer
   * unreachable) — a Security Event Token in that state is worth a retry by its transmitter
   * rather than a permanent refusal.
   */
  async lookup(kid: string): Promise<'found' | 'unknown' | 'unavailable'> {
    if (this.holds(kid)) return 'found';
    if (this.remote.coolingDown) return 'unavailable';
    try {
      await this.remote.reload();
    } catch {
      return 'unavailable';
    }
    return this.holds(kid) ? 'found' : 'unknown';
  }

  private holds(kid: string): boolean {
    return this.remote.jwks()?.keys.some((k) => k.kid === kid) ?? false;
  }
}
