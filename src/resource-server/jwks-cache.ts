import type { KeyObject } from 'node:crypto';
import { fetchJson, type Fetch } from './http-json.js';
import { rsaVerificationKey, type JsonObject } from './jws.js';

/**
 * The issuer's signing keys (RFC 7517 JWK Set at the discovery document's `jwks_uri`), cached in
 * memory. A token naming a key id we do not hold may come from a key the issuer has just rotated
 * to (docs/deployment.md, key rotation), so an unknown `kid` triggers a refetch — at most one per
 * `minRefetchIntervalMs`, so a flood of tokens with made-up key ids cannot turn this API into a
 * load generator against the issuer.
 */
export interface JwksCacheOptions {
  jwksUri: string;
  fetch: Fetch;
  minRefetchIntervalMs: number;
  /** Keys are refetched in the background once they are this old (retired keys drop out). */
  maxAgeMs: number;
  now: () => number;
}

export class JwksCache {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = -Infinity;
  private lastUnknownKidFetch = -Infinity;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly options: JwksCacheOptions) {}

  /** Loads the key set; rejects if the issuer cannot be reached (callers fail to start). */
  async load(): Promise<void> {
    await this.refetch();
  }

  /** The key for `kid`, refetching the set once (rate-limited) when it is unknown. */
  async key(kid: string): Promise<KeyObject | undefined> {
    const found = await this.lookup(kid);
    return found.kind === 'found' ? found.key : undefined;
  }

  /**
   * Like key(), but says why a key is missing: `unknown` after a fresh fetch did not list it,
   * `unavailable` when no fetch could be made (rate limit, issuer unreachable) — a Security Event
   * Token in that state is worth a retry by its transmitter rather than a permanent refusal.
   */
  async lookup(kid: string): Promise<{ kind: 'found'; key: KeyObject } | { kind: 'unknown' | 'unavailable' }> {
    const now = this.options.now();
    if (now - this.fetchedAt >= this.options.maxAgeMs) void this.refetch().catch(() => undefined);
    const known = this.keys.get(kid);
    if (known) return { kind: 'found', key: known };
    if (now - this.lastUnknownKidFetch < this.options.minRefetchIntervalMs) return { kind: 'unavailable' };
    this.lastUnknownKidFetch = now;
    try {
      await this.refetch();
    } catch {
      // The issuer is unreachable: keep the keys we have.
      return { kind: 'unavailable' };
    }
    const key = this.keys.get(kid);
    return key ? { kind: 'found', key } : { kind: 'unknown' };
  }

  get size(): number {
    return this.keys.size;
  }

  /** One fetch at a time; callers arriving meanwhile share it. */
  private refetch(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    const body = await fetchJson(this.options.fetch, this.options.jwksUri);
    const list = Array.isArray(body.keys) ? body.keys : [];
    const keys = new Map<string, KeyObject>();
    for (const jwk of list) {
      if (typeof jwk !== 'object' || jwk === null || typeof (jwk as JsonObject).kid !== 'string') continue;
      const key = rsaVerificationKey(jwk as JsonObject);
      if (key) keys.set((jwk as JsonObject).kid as string, key);
    }
    this.keys = keys;
    this.fetchedAt = this.options.now();
  }
}
