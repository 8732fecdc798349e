/**
 * GET|POST /oidc/userinfo (OIDC Core §5.3), hosted by the Graph surface as Microsoft hosts it at
 * graph.microsoft.com/oidc/userinfo (https://learn.microsoft.com/entra/identity-platform/userinfo):
 * the bearer token is a Graph access token (Graph's authentication, so a revoked user's token is
 * refused at once, I6 in docs/revocation-model.md) whose `scp` holds `openid`. The claims are the
 * ID token's: `sub` pairwise for the client app, names with `profile`, `email` with `email`.
 * Claims Portcullis has no value for (given_name, family_name, picture) are left out, as OIDC
 * Core §5.3.2 asks, rather than sent empty.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { authenticate, bearerChallenge } from './auth.js';
import { AuthorizationRequestDenied, InvalidAuthenticationToken } from './errors.js';

export const USERINFO_PATH = '/oidc/userinfo';

async function userinfo(request: FastifyRequest, reply: FastifyReply, services: Services): Promise<FastifyReply> {
  const caller = await authenticate(request, services);
  if (caller.kind !== 'delegated') {
    // An app-only token names no user (application permissions do not apply here).
    const error = new InvalidAuthenticationToken('The UserInfo endpoint requires a delegated (user) access token.');
    error.headers['www-authenticate'] = bearerChallenge(services);
    throw error;
  }
  if (!caller.scopes.has('openid')) {
    // RFC 6750 §3.1: insufficient_scope, naming the scope that is missing.
    const error = new AuthorizationRequestDenied('The access token was not granted the openid scope.');
    error.headers['www-authenticate'] = bearerChallenge(services, { error: 'insufficient_scope', scope: 'openid' });
    throw error;
  }
  const { user } = caller;
  const claims: Record<string, string> = { sub: services.tokens.pairwiseSubject(user.id, caller.appId) };
  if (caller.scopes.has('profile')) claims.name = user.displayName;
  if (caller.scopes.has('email') && user.mail) claims.email = user.mail;
  return reply
    .code(200)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(JSON.stringify(claims));
}

export function registerUserinfo(scope: FastifyInstance, services: Services): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => userinfo(request, reply, services);
  scope.get(USERINFO_PATH, handler);
  scope.post(USERINFO_PATH, handler);
}
