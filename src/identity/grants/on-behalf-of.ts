import { clientContextOf } from '../client-context.js';
import { readAccessToken, type AccessTokenFailureReason } from '../../core/access-token-reader.js';
import { checkTokenHolder } from '../../core/access-token-revocation.js';
import type { JwtPayload } from '../../crypto/jwt.js';
import { newGuid } from '../../crypto/random.js';
import type { Services } from '../../services.js';
import { isAppOnly } from '../access-token-check.js';
import { mergeCapabilities } from '../claims-request.js';
import { type AuthenticatedClient, authenticateClient } from '../client-auth.js';
import type { GrantHandler } from '../grant-context.js';
import { delegatedResponse, startGrant } from '../issue-tokens.js';
import { AADSTS, type OAuthError } from '../oauth-errors.js';
import { parseDelegatedScopes } from '../scopes.js';

/**
 * On-behalf-of (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow,
 * RFC 7523 §2.1): a confidential API exchanges the user's access token it received (`assertion`,
 * whose `aud` is that API) for a token to Graph or another API, under its own consent.
 *
 * The chain dies with the user's sessions (I6, docs/revocation-model.md, "The epoch"): the
 * assertion must still be good as Portcullis's own check sees it (user enabled, epoch current,
 * grant not revoked), and what is issued inherits the assertion's epoch and session, never a
 * freshly read one — so a revoke refuses the exchange and everything obtained through it.
 */
export const onBehalfOfGrant: GrantHandler = {
  grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  async handle({ req, params, services, secretCache, claims: claimsRequest }) {
    if (params.get('requested_token_use') !== 'on_behalf_of') throw AADSTS.requestedTokenUse();
    const assertion = params.require('assertion');
    const scope = params.require('scope');
    const client = await authenticateClient(req, params, services, secretCache);
    // Only a confidential client (a middle-tier API) may act on a user's behalf.
    if (!client.authenticated) throw AADSTS.clientSecretRequired();
    const assertionClaims = await readAssertion(assertion, client, services);
    const user = await liveUser(assertionClaims, services);
    const scopes = await parseDelegatedScopes(scope, { services, app: client.app });

    const epoch = typeof assertionClaims.pc_epoch === 'number' ? assertionClaims.pc_epoch : user.revocationEpoch;
    const sessionId = typeof assertionClaims.sid === 'string' ? assertionClaims.sid : null;
    const authTime = (assertionClaims.iat as number) * 1000;
    const clientCapabilities = mergeCapabilities([], claimsRequest.clientCapabilities);
    const grantId = newGuid();
    // A grant of the middle tier's own: its refresh token (offline_access only) is the API's.
    const refreshToken = await startGrant(services, {
      grantId,
      user,
      app: client.app,
      sessionId,
      scopes,
      epoch,
      authTime,
      kind: 'web',
      clientCapabilities,
      signInMethod: 'onBehalfOf',
      context: clientContextOf(req),
    });
    return delegatedResponse(services, {
      user,
      app: client.app,
      scopes,
      sessionId,
      authTime,
      nonce: null,
      clientAuthenticated: true,
      refreshToken,
      clientInfo: params.get('client_info') === '1',
      epoch,
      grantId,
      clientCapabilities,
    });
  },
};

const ASSERTION_REFUSALS: Record<Exclude<AccessTokenFailureReason, 'expired' | 'not_yet_valid' | 'not_access_token'>, string> = {
  malformed: 'The assertion is not a compact JWT.',
  unknown_key: 'The key used to sign the assertion was not found.',
  bad_signature: 'The provided signature value did not match the expected signature value.',
  wrong_issuer: 'The assertion was not issued by this tenant.',
  wrong_audience: 'The assertion is not an access token.',
  wrong_tenant: 'The assertion was issued for another tenant.',
};

/** The assertion: one of our user access tokens, current, addressed to the calling client. */
async function readAssertion(assertion: string, client: AuthenticatedClient, services: Services): Promise<JwtPayload> {
  const reading = await readAccessToken(assertion, services, 'any');
  if (!reading.ok) {
    if (reading.reason === 'expired' || reading.reason === 'not_yet_valid') {
      throw AADSTS.assertionExpired(services.clock.now(), typeof reading.claims.exp === 'number' ? reading.claims.exp : 0);
    }
    if (reading.reason === 'not_access_token') throw AADSTS.idTokenAssertion();
    throw AADSTS.invalidAssertion(ASSERTION_REFUSALS[reading.reason]);
  }
  const claims = reading.claims;
  const aud = typeof claims.aud === 'string' ? claims.aud : '';
  const own = [client.app.appId, ...(client.app.identifierUris ?? [])].map((a) => a.toLowerCase());
  if (!own.includes(aud.toLowerCase())) throw AADSTS.assertionAudience(aud, client.app.appId);
  // Only a user's token can be exchanged; app-only tokens carry no user to act for.
  if (isAppOnly(claims) || typeof claims.oid !== 'string' || typeof claims.iat !== 'number')
    throw AADSTS.appOnlyAssertion(client.app.appId);
  return claims;
}

/** The user the assertion acts for, if Portcullis would still accept the assertion (I6). */
async function liveUser(claims: JwtPayload, services: Services) {
  const grantId = typeof claims.pc_gid === 'string' ? claims.pc_gid : undefined;
  const [user, grant] = await Promise.all([
    services.store.users.findById(services.tenant.id, claims.oid as string),
    grantId === undefined ? undefined : services.store.grants.findById(grantId),
  ]);
  const verdict = checkTokenHolder(claims, user, grant, services.clock.now());
  if (verdict.ok) return verdict.user;
  throw refusal(claims, user);
}

function refusal(claims: JwtPayload, user: Awaited<ReturnType<Services['store']['users']['findById']>>): OAuthError {
  if (!user) return AADSTS.userGone();
  if (!user.accountEnabled) return AADSTS.userDisabled();
  // Same epoch: the user was not revoked, the assertion's grant was (RFC 7009).
  if (claims.pc_epoch === user.revocationEpoch) return AADSTS.grantRevoked();
  return AADSTS.revoked((claims.iat as number) * 1000, user.refreshTokensValidFrom);
}
