import { readAccessToken } from '../core/access-token-reader.js';
import { checkTokenHolder } from '../core/access-token-revocation.js';
import type { JwtPayload } from '../crypto/jwt.js';
import type { Services } from '../services.js';

/**
 * Access tokens as the revocation (RFC 7009) and introspection (RFC 7662) endpoints see them:
 * the JWTs src/core/token-issuer.ts mints for the Graph API and for apps that expose an API, read by the same reader as the Graph
 * API's own check (src/core/access-token-reader.ts), answered as values instead of Graph errors.
 */
export interface OwnAccessToken {
  claims: JwtPayload;
  /** Within its lifetime now (`exp`, `nbf` with the reader's skew). */
  current: boolean;
}

/**
 * An access token this deployment issued for this tenant (signature, issuer, tenant; for Graph or
 * for an app's API), whether or not it is still valid; null for anything else (garbage, non-canonical
 * encodings, another issuer's or tenant's token, an ID token).
 */
export async function readOwnAccessToken(token: string, services: Services): Promise<OwnAccessToken | null> {
  const reading = await readAccessToken(token, services, 'any');
  if (reading.ok) return { claims: reading.claims, current: true };
  return 'claims' in reading ? { claims: reading.claims, current: false } : null;
}

export const isAppOnly = (claims: JwtPayload): boolean =>
  claims.idtyp === 'app' || (claims.scp === undefined && Array.isArray(claims.roles));

/** The client the token was issued to (`azp`, or v1 `appid`). */
export const clientOf = (claims: JwtPayload): string | null =>
  typeof claims.azp === 'string' ? claims.azp : typeof claims.appid === 'string' ? claims.appid : null;

/**
 * Would the Graph API (or, for an API's token, Portcullis on that API's behalf) accept this token now? Within its lifetime, and for a user's token: the
 * user exists and is enabled, its epoch is current and its grant not revoked (I6).
 */
export async function isAccessTokenActive({ claims, current }: OwnAccessToken, services: Services): Promise<boolean> {
  if (!current) return false;
  if (isAppOnly(claims)) return true;
  if (typeof claims.oid !== 'string' || typeof claims.scp !== 'string') return false;
  const grantId = typeof claims.pc_gid === 'string' ? claims.pc_gid : undefined;
  const [user, grant] = await Promise.all([
    services.store.users.findById(services.tenant.id, claims.oid),
    grantId === undefined ? undefined : services.store.grants.findById(grantId),
  ]);
  return checkTokenHolder(claims, user, grant, services.clock.now()).ok;
}
