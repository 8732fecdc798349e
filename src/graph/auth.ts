/**
 * Bearer-token authentication for the Graph surface: who is calling, with which permissions.
 * Tokens are read by src/core/access-token-reader.ts (signature, iss, aud, tid, exp/nbf), whose
 * typed reason picks Graph's message; the caller's current state is checked here.
 */
import type { FastifyRequest } from 'fastify';
import { readAccessToken, type AccessTokenFailureReason } from '../core/access-token-reader.js';
import { checkTokenHolder, type Revocation } from '../core/access-token-revocation.js';
import type { User } from '../core/model.js';
import { GRAPH_RESOURCE_APP_ID } from '../core/permissions.js';
import type { JwtPayload } from '../crypto/jwt.js';
import type { Services } from '../services.js';
import { caeChallengeHeader, declaresCp1 } from './cae-challenge.js';
import { InvalidAuthenticationToken } from './errors.js';

/** A signed-in user acting through an application (delegated permissions in `scp`). */
export interface DelegatedCaller {
  kind: 'delegated';
  /** The user as the store has it now (roles and account state are read per request). */
  user: User;
  appId: string;
  /** Lower-cased scope names. */
  scopes: ReadonlySet<string>;
}

/** An application acting as itself (application permissions in `roles`). */
export interface AppCaller {
  kind: 'app';
  appId: string;
  displayName: string;
  /** Lower-cased app role names. */
  roles: ReadonlySet<string>;
  /** Directory roles assigned to the application, as the store has them now. */
  directoryRoles: readonly string[];
}

export type Caller = DelegatedCaller | AppCaller;

/** Microsoft Graph's own client id, which Graph puts in its 401 challenge (header format: https://learn.microsoft.com/entra/identity-platform/claims-challenge). */
const GRAPH_CLIENT_ID = GRAPH_RESOURCE_APP_ID;
/** The WWW-Authenticate value Graph sends with 401 (RFC 6750 §3), pointing at our authorize endpoint. */
export function bearerChallenge(services: Services, extra: Record<string, string> = {}): string {
  const params: Record<string, string> = {
    realm: '',
    authorization_uri: `${services.config.publicUrl}/${services.tenant.id}/oauth2/v2.0/authorize`,
    client_id: GRAPH_CLIENT_ID,
    ...extra,
  };
  return `Bearer ${Object.entries(params)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}`;
}

function unauthenticated(services: Services, message: string, extra?: Record<string, string>): InvalidAuthenticationToken {
  const error = new InvalidAuthenticationToken(message);
  error.headers['www-authenticate'] = bearerChallenge(services, extra);
  return error;
}

function readBearerToken(header: string | undefined, services: Services): string {
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S*)\s*$/i.exec(header) : null;
  const token = match?.[1] ?? '';
  if (token === '') throw unauthenticated(services, 'Access token is empty.');
  return token;
}

/** Graph's wording for each reason the access-token reader refuses a token. */
const REFUSALS: Record<AccessTokenFailureReason, string> = {
  // A token that is not a JWS at all (or not in canonical base64url) vs. one Graph cannot validate.
  malformed: 'CompactToken parsing failed with error code: 80049217',
  unknown_key: 'Access token validation failure. Invalid signature.',
  bad_signature: 'Access token validation failure. Invalid signature.',
  wrong_issuer: 'Access token validation failure. Invalid issuer.',
  wrong_audience: 'Access token validation failure. Invalid audience.',
  wrong_tenant: 'Access token validation failure. Invalid tenant.',
  not_access_token: 'Access token validation failure. Invalid audience.',
  expired: 'Access token has expired or is not yet valid.',
  not_yet_valid: 'Access token has expired or is not yet valid.',
};

async function readClaims(token: string, services: Services): Promise<JwtPayload> {
  const reading = await readAccessToken(token, services);
  if (!reading.ok) throw unauthenticated(services, REFUSALS[reading.reason]);
  return reading.claims;
}

const lowerSet = (names: readonly unknown[]): ReadonlySet<string> =>
  new Set(names.filter((n): n is string => typeof n === 'string').map((n) => n.toLowerCase()));

/**
 * Invariant I6 (docs/revocation-model.md): a token whose user, epoch or grant has been revoked since it was issued is
 * refused at once (src/core/access-token-revocation.ts). Clients that declared cp1 get the CAE claims challenge
 * asking for a token not before the revocation; others the plain Bearer challenge (https://learn.microsoft.com/entra/identity-platform/claims-challenge).
 */
function refuse(claims: JwtPayload, revocation: Revocation, services: Services): InvalidAuthenticationToken {
  if (!declaresCp1(claims)) return unauthenticated(services, revocation.message);
  const error = new InvalidAuthenticationToken(revocation.message);
  error.headers['www-authenticate'] = caeChallengeHeader(services, Math.floor(revocation.at / 1000));
  return error;
}

async function toCaller(claims: JwtPayload, services: Services): Promise<Caller> {
  const appId = typeof claims.azp === 'string' ? claims.azp : typeof claims.appid === 'string' ? claims.appid : '';
  if (claims.idtyp === 'app' || (claims.scp === undefined && Array.isArray(claims.roles))) {
    const app = appId ? await services.store.applications.findByAppId(services.tenant.id, appId) : null;
    return {
      kind: 'app',
      appId,
      displayName: app?.displayName ?? appId,
      roles: lowerSet(Array.isArray(claims.roles) ? claims.roles : []),
      // Read per request, like a user's roles: removing an assignment takes effect at once.
      directoryRoles: app?.directoryRoles ?? [],
    };
  }
  if (typeof claims.scp !== 'string' || typeof claims.oid !== 'string') {
    throw unauthenticated(services, 'Access token validation failure. The token carries neither delegated nor application permissions.');
  }
  // Both reads hit the shared store on every call (nothing cached), in parallel: one round trip.
  const grantId = typeof claims.pc_gid === 'string' ? claims.pc_gid : undefined;
  const [user, grant] = await Promise.all([
    services.store.users.findById(services.tenant.id, claims.oid),
    grantId === undefined ? undefined : services.store.grants.findById(grantId),
  ]);
  const verdict = checkTokenHolder(claims, user, grant, services.clock.now());
  if (!verdict.ok) throw refuse(claims, verdict.revocation, services);
  return { kind: 'delegated', user: verdict.user, appId, scopes: lowerSet(claims.scp.split(' ')) };
}

/** Authenticates the request's bearer token or throws InvalidAuthenticationToken (401). */
export async function authenticate(request: FastifyRequest, services: Services): Promise<Caller> {
  return authenticateBearer(request.headers.authorization, services);
}

/**
 * The same for an Authorization header value: the $batch revoke lane (batch-revoke.ts) runs it
 * for each inner request, as a direct request would, so a token revoked by an earlier request of
 * the batch is refused for the later ones (I6, docs/revocation-model.md).
 */
export async function authenticateBearer(authorization: string | undefined, services: Services): Promise<Caller> {
  const token = readBearerToken(authorization, services);
  const claims = await readClaims(token, services);
  return toCaller(claims, services);
}
