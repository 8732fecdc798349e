/**
 * What a receiver's values must be before they reach the store (both stores hold them as text).
 */

/**
 * The ids this transmitter issues — stream ids (random, base64url) and SET jtis (set-builder.ts:
 * base64url digests and UUIDs) — are all of this form. Anything else names nothing of ours and
 * must not reach the store: PostgreSQL refuses a NUL in a text parameter, which failed such
 * requests with 500 (found by fuzzing, test/fuzz/targets/ssf.ts).
 */
export function isTransmitterId(value: string): boolean {
  return /^[A-Za-z0-9_-]{1,128}$/.test(value);
}

/**
 * Free text a receiver gives us (a stream's description, a status reason, a setErrs entry) is
 * stored as it is; PostgreSQL text cannot hold NUL, so text with one is refused.
 */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}
