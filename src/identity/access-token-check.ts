import { checkTokenHolder } from '../core/access-token-revocation.js';
import { GRAPH_RESOURCE_APP_ID, GRAPH_RESOURCE_URI } from '../core/permissions.js';
import { verifyJwtSignature, type JwtPayload } from '../crypto/jwt.js';
import type { Services } from '../services.js';

/**
 * Access tokens as the revocation (RFC 7009) and introspection (RFC 7662) endpoints see them:
 * the JWTs src/core/token-issuer.ts mints for the Graph API. The same rules as the Graph API's
 * own check (src/graph/auth.ts), answered as values instead of Graph errors.
 */

/** Tokens may arrive up to five minutes "early" (clock skew), as on the Graph API. */
const NBF_SKEW_SECONDS = 300;
const ACCESS_TOKEN_AUDIENCES: readonly string[] = [GRAPH_RESOURCE_APP_ID, GRAPH_RESOURCE_URI];

/**
 * The claims of an access token this deployment issued for this tenant (signature, issuer,
 * tenant, Graph audience), whether or not it is still valid; null for anything else (garbage,
 * another issuer's or tenant's token, an ID token).
 */
export async function readOwnAccessToken(token: string, services: Services): Promise<JwtPayload | null> {
  if (token.split('.').length !== 3) return null;
  let unknownKid: string | undefined;
  let verified = verifyJwtSignature(token, (kid) => {
    const key = services.keys.byId(kid);
    if (!key) unknownKid = kid;
    return key;
  });
  // A key rotated on another instance may not have reached this one yet (docs/deployment.md).
  if (!verified.ok && unknownKid !== undefined && (await services.keys.catchUp(unknownKid))) {
    verified = verifyJwtSignature(token, (kid) => services.keys.byId(kid));
  }
  if (!verified.ok) return null;
  const claims = verified.payload;
  if (claims.iss !== services.tokens.issuer || claims.tid !== services.tenant.id) return null;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((a) => typeof a === 'string' && ACCESS_TOKEN_AUDIENCES.includes(a))) return null;
  return claims;
}

export const isAppOnly = (claims: JwtPayload): boolean => claims.idtyp === 'app' || (claims.scp === undefined && Array.isArray(claims.roles));

/** The client the token was issued to (`azp`, or v1 `appid`). */
export const clientOf = (claims: JwtPayload): string | null =>
  typeof claims.azp === 'string' ? claims.azp : typeof claims.appid === 'string' ? claims.appid : null;

/**
 * Would the Graph API accept this token now? Unexpired, not before its time, and for a user's
 * token: the user exists and is enabled, its epoch is current and its grant not revoked (I6).
 */
export async function isAccessTokenActive(claims: JwtPayload, services: Services): Promise<boolean> {
  const now = services.clock.now();
  const nbf = claims.nbf ?? claims.iat;
  if (typeof claims.exp !== 'number' || claims.exp <= now / 1000) return false;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now / 1000 + NBF_SKEW_SECONDS)) return false;
  if (isAppOnly(claims)) return true;
  if (typeof claims.oid !== 'string' || typeof claims.scp !== 'string') return false;
  const grantId = typeof claims.pc_gid === 'string' ? claims.pc_gid : undefined;
  const [user, grant] = await Promise.all([
    services.store.users.findById(services.tenant.id, claims.oid),
    grantId === undefined ? undefined : services.store.grants.findById(grantId),
  ]);
  return checkTokenHolder(claims, user, grant, now).ok;
}
