import { decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose';
import { isCanonicalCompactJws } from '../crypto/base64url.js';

/**
 * The protected header of a compact JWS (RFC 7515 §7.1) whose three segments are canonical
 * unpadded base64url (src/crypto/base64url.ts: jose's decoder on Node 20 takes `=` padding and
 * non-zero trailing bits, so a signed token would have several accepted spellings); null for
 * anything else. Nothing in it is trusted yet: it only picks the checks to run.
 */
export function protectedHeader(token: string): ProtectedHeaderParameters | null {
  if (!isCanonicalCompactJws(token)) return null;
  try {
    return decodeProtectedHeader(token);
  } catch {
    return null;
  }
}

/** RS256 only (RFC 7518 §3.3), fixed here rather than read from the token: RFC 8725 §2.1. */
export const ALGORITHMS = ['RS256'];
