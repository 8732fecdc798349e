import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Compact JWS (RFC 7515 §7.1) with RS256 only (RFC 7518 §3.3): what Portcullis signs its access
 * tokens and Security Event Tokens with. Accepting one algorithm, fixed here rather than read from
 * the token, closes the `alg` confusion attacks of RFC 8725 §2.1.
 */
export type JsonObject = Record<string, unknown>;

export interface DecodedJws {
  header: JsonObject;
  payload: JsonObject;
  /** `header.payload`, the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseSegment(segment: string): JsonObject | null {
  // base64url without padding only (RFC 7515 §2); Buffer.from would silently skip bad characters.
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** Splits and decodes a compact JWS; null when it is not one. Nothing is trusted yet. */
export function decodeJws(token: string): DecodedJws | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  const header = parseSegment(h);
  const payload = parseSegment(p);
  if (!header || !payload || !/^[A-Za-z0-9_-]*$/.test(s)) return null;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

export function verifyRs256(jws: DecodedJws, key: KeyObject): boolean {
  return verify('sha256', Buffer.from(jws.signingInput), key, jws.signature);
}

/** A public key from a JWK of a JWKS (RFC 7517 §4); null for keys that are not RS256 signing keys. */
export function rsaVerificationKey(jwk: JsonObject): KeyObject | null {
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') return null;
  if (jwk.use !== undefined && jwk.use !== 'sig') return null;
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') return null;
  try {
    return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
  } catch {
    return null;
  }
}
