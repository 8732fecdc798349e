import { randomBytes, randomFillSync, randomUUID } from 'node:crypto';

/**
 * Random bytes for the many short values of a token response (a refresh token, two `uti`s),
 * drawn from one buffer refilled from the CSPRNG (node:crypto `randomFillSync`) 4 KiB at a time:
 * one call into OpenSSL per ~50 responses instead of three per response, the same bytes.
 * Every byte is handed out once and zeroed as it is taken (BENCHMARKS.md, B1 optimisation log).
 * node:crypto's own randomUUID caches its entropy the same way.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let taken = POOL_BYTES;

/** `bytes` fresh random bytes as base64url, from the pool (larger requests go to randomBytes). */
export function randomBase64url(bytes: number): string {
  if (bytes > 256) return randomBytes(bytes).toString('base64url');
  if (taken + bytes > POOL_BYTES) {
    randomFillSync(pool);
    taken = 0;
  }
  const start = taken;
  taken += bytes;
  const value = pool.toString('base64url', start, taken);
  pool.fill(0, start, taken);
  return value;
}

/** An opaque bearer credential: 32 random bytes (256 bits), base64url. RFC 6749 §10.10. */
export function newOpaqueToken(bytes = 32): string {
  return randomBase64url(bytes);
}

export function newGuid(): string {
  return randomUUID();
}

/**
 * A GUID whose first 48 bits are the Unix time in milliseconds: a version 7 UUID (RFC 9562
 * §5.7), with 74 random bits (randomUUID's) after the version and variant. For the ids of rows
 * written in bulk and kept in a B-tree keyed by id (audit records, revocation receipts): new ids
 * sort after the old ones, so each insert lands on the index's last page instead of dirtying a
 * random page of it, one WAL page per row (BENCHMARKS.md, B3). Within one millisecond their
 * order is random. It reveals the creation time, which the rows it names record anyway.
 */
export function newTimeOrderedGuid(now: number = Date.now()): string {
  const time = Math.max(0, Math.min(now, 0xffff_ffff_ffff)).toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}

/** A short code a person can type (device flow user_code), from an alphabet without look-alikes. */
export function newUserCode(length = 9): string {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ23456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
