import * as crypto from 'node:crypto';
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The at-rest form of a high-entropy bearer credential (refresh token, code, session id).
 * The credentials carry ≥ 256 bits of entropy, so a fast hash suffices; only the digest is
 * stored (I5, docs/revocation-model.md; RFC 6819 §5.1.4.1.3).
 */
export function digestCredential(value: string): string {
  return sha256Base64url(value);
}

/**
 * node:crypto's one-shot `hash` (Node.js ≥ 20.12, https://nodejs.org/api/crypto.html#cryptohashalgorithm-data-outputencoding)
 * computes the same digest as createHash without a Hash object per call: about a quarter of the
 * time, and a refresh computes several (BENCHMARKS.md, B1 optimisation log). Older Node.js 20
 * releases take the createHash path.
 */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

/** SHA-256 of a string's UTF-8 bytes, base64url (43 characters). */
export function sha256Base64url(value: string): string {
  return oneShotHash ? oneShotHash('sha256', value, 'base64url') : createHash('sha256').update(value, 'utf8').digest('base64url');
}

/**
 * The single place where secrets are compared: constant time over equal-length digests,
 * so neither content nor length leaks through timing.
 */
export function constantEquals(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
