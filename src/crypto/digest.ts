import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The at-rest form of a high-entropy bearer credential (refresh token, code, session id).
 * The credentials carry ≥ 256 bits of entropy, so a fast hash suffices; only the digest is
 * stored (I5, docs/revocation-model.md; RFC 6819 §5.1.4.1.3).
 */
export function digestCredential(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
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
