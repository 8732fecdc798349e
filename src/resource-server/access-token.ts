import { errors, jwtVerify, type JWTPayload } from 'jose';
import { ALGORITHMS, protectedHeader } from './compact-jws.js';
import type { IssuerKeys } from './issuer-keys.js';

/**
 * Validation of a Portcullis access token (a v1.0 or v2.0 JWT shaped like Entra's, RS256) with jose's
 * jwtVerify: canonical compact JWS, signature by a key of the issuer's JWKS, then `iss`, `aud`,
 * `tid`, `exp` / `nbf` with a small clock skew (RFC 7519 §4.1.4–4.1.5, RFC 9068 §4). Revocation
 * is checked after this (revocation-list.ts).
 */
export type JsonObject = Record<string, unknown>;

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
  /** The v2.0 issuer and the v1.0 one (tokens of APIs that ask for v1.0 tokens). */
  issuers: readonly string[];
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

const NOT_A_JWT = 'The access token is not a JWT.';
const NOT_YET_VALID = 'The access token is not valid yet.';
/** What each claim jose refuses means for the caller. */
const CLAIM_REFUSALS: Record<string, string> = {
  iss: 'The access token has another issuer.',
  aud: 'The access token is for another audience.',
  exp: 'The access token has expired.',
  nbf: NOT_YET_VALID,
  // iat is required: revocations are compared with it (a token issued before the revoke).
  iat: 'The access token has no issue time.',
};

export async function validateAccessToken(token: string, keys: IssuerKeys, rules: AccessTokenRules): Promise<AccessTokenResult> {
  const header = protectedHeader(token);
  if (!header) return fail(NOT_A_JWT);
  if (header.alg !== 'RS256') return fail('The access token is not signed with RS256.');
  if (header.typ !== undefined && (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase()))) {
    return fail('The token is not an access token.');
  }
  if (typeof header.kid !== 'string') return fail('The access token names no signing key.');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys.getKey, {
      algorithms: ALGORITHMS,
      issuer: [...rules.issuers],
      audience: [...rules.audiences],
      clockTolerance: rules.clockSkewSeconds,
      currentDate: new Date(rules.now()),
      requiredClaims: ['exp', 'iat'],
    }));
  } catch (e) {
    return fail(describe(e));
  }
  if (payload.tid !== rules.tenantId) return fail('The access token is for another tenant.');
  // jose checks nbf when present; a token without one is not valid before its iat.
  if ((payload.iat as number) > rules.now() / 1000 + rules.clockSkewSeconds) return fail(NOT_YET_VALID);
  return { ok: true, claims: payload as AccessTokenClaims };
}

function describe(e: unknown): string {
  if (e instanceof errors.JWTClaimValidationFailed || e instanceof errors.JWTExpired)
    return CLAIM_REFUSALS[e.claim] ?? 'The access token claims are invalid.';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'The access token signature is invalid.';
  if (e instanceof errors.JOSEAlgNotAllowed) return 'The access token is not signed with RS256.';
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return NOT_A_JWT;
  if (e instanceof errors.JOSENotSupported) return 'The access token uses an unsupported JWS feature.';
  // JWKSNoMatchingKey (also after the rate-limited refetch), or that refetch could not be made.
  return 'The access token is signed with an unknown key.';
}

/** `xms_cc` contains cp1 (case-insensitive): the client handles CAE claims challenges (https://learn.microsoft.com/entra/identity-platform/claims-challenge). */
export function declaresCp1(claims: AccessTokenClaims): boolean {
  const cc = claims.xms_cc;
  const values = Array.isArray(cc) ? cc : typeof cc === 'string' ? [cc] : [];
  return values.some((v) => typeof v === 'string' && v.toLowerCase() === 'cp1');
}
