/**
 * Strict base64url for JWS segments (RFC 7515 §2: "Base64url Encoding ... with all trailing '='
 * characters omitted"; RFC 4648 §5 alphabet). Node's Buffer.from(s, 'base64url') and atob-based
 * decoders are lenient: they skip unknown characters, take `+` and `/`, accept `=` padding and
 * ignore non-zero trailing bits, so many strings decode to the same bytes. A token is accepted
 * only in the one canonical spelling of its bytes (RFC 4648 §3.5: canonical encoding), so a
 * signed token has exactly one accepted form and cannot be re-spelled past a cache, a deny list
 * or a log search keyed on the token string.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/;

/** The bytes of a canonical unpadded base64url string; null for any other string. */
export function decodeBase64url(segment: string): Buffer | null {
  // A length of 4n+1 characters encodes no whole byte (RFC 4648 §4: one leftover sextet).
  if (!ALPHABET.test(segment) || segment.length % 4 === 1) return null;
  const bytes = Buffer.from(segment, 'base64url');
  // Re-encoding must give back the same string: this refuses non-zero trailing bits.
  return bytes.toString('base64url') === segment ? bytes : null;
}

/** True when every segment of a compact JWS (RFC 7515 §7.1) is canonical base64url. */
export function isCanonicalCompactJws(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && parts.every((p) => decodeBase64url(p) !== null);
}
