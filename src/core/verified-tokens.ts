/**
 * A small memo of access tokens whose RS256 signature was verified recently (BENCHMARKS.md, B3). A
 * `$batch` of 20 revocations presents the same bearer token 21 times (the envelope and each inner
 * request, which are authenticated one by one, https://learn.microsoft.com/graph/json-batching), and a client calling Graph in a
 * loop presents one token for its whole lifetime; an RSA-2048 verification is ~50 µs, the largest
 * cost of authenticating. What is memoised is only the pure function "this exact token string
 * carries a valid signature by this key object": the claims (issuer, audience, tenant, expiry)
 * and the caller's current state (I6 in docs/revocation-model.md: the epoch, the account) are still checked on
 * every request, and a hit counts only while the key ring still hands out the very same key for
 * the token's kid, so a key that left the ring takes its tokens with it.
 * Keyed by the token's SHA-256, so no bearer token is held here; bounded in size.
 */
import { createHash } from 'node:crypto';
import type { JwtPayload, LoadedKey } from '../crypto/jwt.js';

interface Entry {
  kid: string;
  key: LoadedKey;
  payload: JwtPayload;
}

/** Enough for the tokens of every client active in the last moments; ~100 bytes + the claims each. */
const MAX_ENTRIES = 1024;

export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  static digest(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The payload of a token verified earlier with the key `keyById` still returns for its kid. */
  get(digest: string, keyById: (kid: string) => LoadedKey | undefined): JwtPayload | null {
    const e = this.entries.get(digest);
    if (!e) return null;
    if (keyById(e.kid) !== e.key) {
      this.entries.delete(digest);
      return null;
    }
    return e.payload;
  }

  remember(digest: string, kid: string, key: LoadedKey, payload: JwtPayload): void {
    if (this.entries.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order: drop the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    // Shared by every request presenting the token: nobody may change it.
    this.entries.set(digest, { kid, key, payload: Object.freeze(payload) });
  }
}
