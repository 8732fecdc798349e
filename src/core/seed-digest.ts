/**
 * Keyed digests of seed entries, property by property: what lets `serve --seed` tell, on every
 * start, which properties of which entries the file changed since they were last applied — without
 * re-reading values from the directory and without argon2 (docs/seed-file.md, "How a seed is
 * applied").
 *
 * Why HMAC-SHA-256 with a random per-store key rather than a plain SHA-256: a digest's input holds
 * a password or a client secret. A plain hash of it would be an unsalted fast hash sitting next to
 * the argon2id hash: the same digest in every deployment (precomputable), equal for equal
 * passwords, and testable at GPU speed by anyone who sees a digest. Keyed with 256 random bits
 * kept in the store, and with the entry's identity and the property name in the input, a digest is
 * worthless without the key: no precomputation, no cross-user or cross-deployment comparison, and a
 * digest copied into a log, a ticket or a partial dump reveals nothing. Whoever holds the whole
 * store holds the key too, and could test guesses of a seed password quickly; but that reader also
 * holds the signing keys (forging any token, RFC 7519 §11), and the password is the seed file's,
 * which lies in plain text wherever the file is. Keeping the key in the store keeps it in backups,
 * so a restored database still recognises its seed. Any cheaper check that a seed password is
 * unchanged is, by construction, as cheap for a guesser holding the same inputs; the key is the
 * only thing that can make it dear, so it is kept with the database's other secrets (0600 file,
 * docs/deployment.md).
 */
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

/** A new digest key: 256 random bits, base64url. */
export function newSeedDigestKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored key (base64url) as a KeyObject, decoded once per apply rather than once per digest. */
export function seedDigestKey(stored: string): KeyObject {
  return createSecretKey(Buffer.from(stored, 'base64url'));
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * HMAC-SHA-256 (RFC 2104) of one property of one entry. `scope` names the tenant, the entry kind,
 * the entry's key and the property, so equal values of different users or properties never give
 * equal digests.
 */
export function propertyDigest(key: KeyObject, scope: readonly string[], value: unknown): string {
  return keyedDigest(key, canonicalJson([...scope, value]));
}

/** HMAC-SHA-256 of a text, base64url. */
export function keyedDigest(key: KeyObject, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}
