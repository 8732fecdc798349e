import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyJwtSignature } from '../../crypto/jwt.js';
import type { Services } from '../../services.js';
import { sendPage } from '../../web/send-page.js';
import { messagePage } from '../../web/sign-in-page.js';
import { findClient } from '../client-auth.js';
import { Params } from '../params.js';
import { isRegisteredExactly } from '../redirect-uri.js';
import { endSession } from '../sso-session.js';
import { resolveTenant } from '../tenant.js';

/**
 * GET|POST /{tenant}/oauth2/v2.0/logout (OIDC RP-Initiated Logout 1.0): ends the browser's SSO
 * session, then redirects only to a post_logout_redirect_uri registered exactly for the client
 * named by client_id or by the id_token_hint's audience (no open redirect).
 */
export function registerLogout(http: FastifyInstance, services: Services): void {
  const handler = async (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
    const params = Params.of(req.method === 'POST' ? req.body : req.query, req.method === 'POST' ? 'body' : 'query');
    // An OAuthError (unknown tenant) is answered by the scope's error handler as a
    // 'Sign-out failed' page (identity/routes.ts).
    resolveTenant(req.params.tenant, services.tenant);
    await endSession(req, reply, services);
    const target = params.get('post_logout_redirect_uri');
    const clientId = params.get('client_id') ?? audienceOf(params.get('id_token_hint'), services);
    if (target && clientId) {
      const app = await findClient(services, clientId).catch(() => null);
      if (app && isRegisteredExactly(app, target)) {
        const url = new URL(target);
        const state = params.get('state');
        if (state) url.searchParams.set('state', state);
        return reply.code(302).redirect(url.toString());
      }
    }
    return sendPage(reply, 200, messagePage('You signed out of your account', 'It’s a good idea to close all browser windows.'));
  };
  http.get('/:tenant/oauth2/v2.0/logout', handler);
  http.post('/:tenant/oauth2/v2.0/logout', handler);
}

/** The client id in an ID token we signed (signature checked; expiry is irrelevant for a hint). */
function audienceOf(idTokenHint: string | undefined, services: Services): string | undefined {
  if (!idTokenHint) return undefined;
  const v = verifyJwtSignature(idTokenHint, (kid) => services.keys.byId(kid));
  return v.ok && typeof v.payload.aud === 'string' ? v.payload.aud : undefined;
}
