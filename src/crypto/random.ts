import { randomBytes, randomUUID } from 'node:crypto';

/** An opaque bearer credential: 32 random bytes (256 bits), base64url. RFC 6749 §10.10. */
export function newOpaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function newGuid(): string {
  return randomUUID();
}

/** A short code a person can type (device flow user_code), from an alphabet without look-alikes. */
export function newUserCode(length = 9): string {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ23456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
