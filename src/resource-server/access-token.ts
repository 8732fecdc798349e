import type { JwksCache } from './jwks-cache.js';
import { decodeJws, verifyRs256, type JsonObject } from './jws.js';

/**
 * Validation of a Portcullis access token (a v2.0 JWT shaped like Entra's, RS256): signature by a
 * key of the issuer's JWKS, then `iss`, `aud`, `tid`, `exp` / `nbf` with a small clock skew
 * (RFC 7519 §4.1.4–4.1.5, RFC 9068 §4). Revocation is checked after this (revocation-list.ts).
 */
export interface AccessTokenClaims extends JsonObject {
  iss: string;
  aud: string | string[];
  iat: number;
  exp: number;
  tid: string;
  /** The user's object id (delegated tokens) or the calling app's (app-only tokens). */
  oid?: string;
  sid?: string;
  scp?: string;
  roles?: string[];
  xms_cc?: string[] | string;
}

export interface AccessTokenRules {
  issuer: string;
  audiences: ReadonlySet<string>;
  tenantId: string;
  clockSkewSeconds: number;
  now: () => number;
}

export type AccessTokenResult = { ok: true; claims: AccessTokenClaims } | { ok: false; description: string };

const fail = (description: string): AccessTokenResult => ({ ok: false, description });

/**
 * JWTs of other kinds signed by the same keys (Security Event Tokens, logout tokens, ID tokens
 * with typ set) must not pass as access tokens (RFC 8725 §3.11 explicit typing).
 */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);

export async function validateAccessToken(token: string, keys: JwksCache, rules: AccessTokenRules): Promise<AccessTokenResult> {
  const jws = decodeJws(token);
  if (!jws) return fail('The access token is not a JWT.');
  const { header, payload } = jws;
  if (header.alg !== 'RS256') return fail('The access token is not signed with RS256.');
  if (header.typ !== undefined && (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase()))) {
    return fail('The token is not an access token.');
  }
  if (typeof header.kid !== 'string') return fail('The access token names no signing key.');
  const key = await keys.key(header.kid);
  if (!key) return fail('The access token is signed with an unknown key.');
  if (!verifyRs256(jws, key)) return fail('The access token signature is invalid.');
  return checkClaims(payload, rules);
}

function checkClaims(claims: JsonObject, rules: AccessTokenRules): AccessTokenResult {
  if (claims.iss !== rules.issuer) return fail('The access token has another issuer.');
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((a) => typeof a === 'string' && rules.audiences.has(a))) return fail('The access token is for another audience.');
  if (claims.tid !== rules.tenantId) return fail('The access token is for another tenant.');
  const now = rules.now() / 1000;
  const skew = rules.clockSkewSeconds;
  if (typeof claims.exp !== 'number' || now >= claims.exp + skew) return fail('The access token has expired.');
  // iat is required: revocations are compared with it (a token issued before the revoke).
  if (typeof claims.iat !== 'number') return fail('The access token has no issue time.');
  const notBefore = typeof claims.nbf === 'number' ? claims.nbf : claims.iat;
  if (notBefore > now + skew || claims.iat > now + skew) return fail('The access token is not valid yet.');
  return { ok: true, claims: claims as AccessTokenClaims };
}

/** `xms_cc` contains cp1 (case-insensitive): the client handles CAE claims challenges (reference §6). */
export function declaresCp1(claims: AccessTokenClaims): boolean {
  const cc = claims.xms_cc;
  const values = Array.isArray(cc) ? cc : typeof cc === 'string' ? [cc] : [];
  return values.some((v) => typeof v === 'string' && v.toLowerCase() === 'cp1');
}
