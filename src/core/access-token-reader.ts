/**
 * The one reader of the access tokens src/core/token-issuer.ts mints (RS256 JWTs: v2.0 for the
 * Graph API, v1.0 or v2.0 for apps that expose an API): the Graph API (src/graph/auth.ts),
 * revocation (RFC 7009), introspection (RFC 7662, src/identity/access-token-check.ts) and the
 * on-behalf-of grant (src/identity/grants/on-behalf-of.ts) all ask it, and each maps the typed reason to
 * its own wire error. It checks, in this order: compact JWS in canonical base64url
 * (crypto/base64url.ts), a signature by a key of the ring, `iss`, `aud`, `tid`, then `exp` / `nbf`
 * (RFC 7519 §4.1.4–4.1.5). What the caller's current state allows (DESIGN invariant I6: epoch,
 * account, grant) is checked after this, by access-token-revocation.ts.
 */
import { GRAPH_RESOURCE_APP_ID, GRAPH_RESOURCE_URI } from './permissions.js';
import { verifyJwtSignature, type JwtPayload } from '../crypto/jwt.js';
import type { Services } from '../services.js';
import { VerifiedTokens } from './verified-tokens.js';

/** Tokens may arrive up to five minutes "early" (clock skew between issuer and resource). */
export const NBF_SKEW_SECONDS = 300;
const ACCEPTED_AUDIENCES: readonly string[] = [GRAPH_RESOURCE_APP_ID, GRAPH_RESOURCE_URI];

/** Not a token of ours at all: nothing in it can be trusted. */
export type ForeignTokenReason =
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_tenant'
  /** Signed by us for an app, but an ID token (no `idtyp`), not an access token. */
  | 'not_access_token';
/** Ours and authentic, but not valid at this moment. */
export type TimeReason = 'expired' | 'not_yet_valid';
export type AccessTokenFailureReason = ForeignTokenReason | TimeReason;

export type AccessTokenReading =
  | { ok: true; claims: JwtPayload }
  /** The claims are authentic (signed by us, for this tenant and the Graph API). */
  | { ok: false; reason: TimeReason; claims: JwtPayload }
  | { ok: false; reason: ForeignTokenReason };

type Deps = Pick<Services, 'keys' | 'tokens' | 'tenant' | 'clock'>;

/** Signatures verified recently (verified-tokens.ts); keys are objects of one app's key ring. */
const verifiedTokens = new VerifiedTokens();

/**
 * Whose tokens to accept: `graph` — only Portcullis's Graph-compatible API's (the Graph API itself);
 * `any` — also those for an app that exposes an API, v1.0 (`tokens.issuerV1`) or v2.0, which
 * introspection, revocation and the on-behalf-of grant handle too.
 */
export type AcceptedAudiences = 'graph' | 'any';

export async function readAccessToken(token: string, services: Deps, accept: AcceptedAudiences = 'graph'): Promise<AccessTokenReading> {
  const signed = await verifySignature(token, services);
  if (!signed.ok) return signed;
  const claims = signed.claims;
  const issuers = accept === 'graph' ? [services.tokens.issuer] : [services.tokens.issuer, services.tokens.issuerV1];
  if (!issuers.includes(claims.iss as string)) return { ok: false, reason: 'wrong_issuer' };
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((a) => typeof a === 'string' && ACCEPTED_AUDIENCES.includes(a))) {
    if (accept === 'graph' || typeof claims.aud !== 'string') return { ok: false, reason: 'wrong_audience' };
    // Our ID tokens are also signed for an app's id: only access tokens say what they are.
    if (claims.idtyp !== 'user' && claims.idtyp !== 'app') return { ok: false, reason: 'not_access_token' };
  }
  if (claims.tid !== services.tenant.id) return { ok: false, reason: 'wrong_tenant' };
  const now = services.clock.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= now) return { ok: false, reason: 'expired', claims };
  const nbf = claims.nbf ?? claims.iat;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + NBF_SKEW_SECONDS)) return { ok: false, reason: 'not_yet_valid', claims };
  return { ok: true, claims };
}

async function verifySignature(
  token: string,
  services: Deps,
): Promise<{ ok: true; claims: JwtPayload } | { ok: false; reason: 'malformed' | 'unknown_key' | 'bad_signature' }> {
  const digest = VerifiedTokens.digest(token);
  const known = verifiedTokens.get(digest, (kid) => services.keys.byId(kid));
  if (known) return { ok: true, claims: known };
  let unknownKid: string | undefined;
  let verified = verifyJwtSignature(token, (kid) => {
    const key = services.keys.byId(kid);
    if (!key) unknownKid = kid;
    return key;
  });
  // Another instance may already sign with a key whose rotation has not reached this one yet
  // (docs/deployment.md, key rotation): re-read the keys once before refusing.
  if (!verified.ok && unknownKid !== undefined && (await services.keys.catchUp(unknownKid))) {
    verified = verifyJwtSignature(token, (kid) => services.keys.byId(kid));
  }
  if (!verified.ok) return verified;
  const kid = verified.header.kid as string; // verifyJwtSignature only accepts a string kid
  const key = services.keys.byId(kid);
  if (key) verifiedTokens.remember(digest, kid, key, verified.payload);
  return { ok: true, claims: verified.payload };
}
