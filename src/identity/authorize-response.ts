import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { SignInMethod, SsoSession, User } from '../core/model.js';
import { digestCredential } from '../crypto/digest.js';
import { newGuid, newOpaqueToken } from '../crypto/random.js';
import type { Services } from '../services.js';
import { esc, hidden, page } from '../web/html.js';
import { sendPage } from '../web/send-page.js';
import type { AuthorizeRequest } from './authorize-request.js';
import type { OAuthError } from './oauth-errors.js';

/** Sends parameters to the client by the response mode it asked for (OAuth 2.0 Multiple Response Types; Form Post Response Mode). */
export function respondToClient(
  reply: FastifyReply,
  target: Pick<AuthorizeRequest, 'redirectUri' | 'responseMode' | 'state'>,
  values: Record<string, string>,
): FastifyReply {
  const all = { ...values, ...(target.state !== null ? { state: target.state } : {}) };
  if (target.responseMode === 'form_post') {
    const nonce = randomBytes(16).toString('base64');
    const fields = Object.entries(all)
      .map(([k, v]) => hidden(k, v))
      .join('');
    const html = page(
      'Working…',
      `<form method="post" action="${esc(target.redirectUri)}">${fields}<p>Sending you back to the application.</p><noscript><button type="submit">Continue</button></noscript></form>`,
      nonce,
      'document.forms[0].submit()',
    );
    return sendPage(reply, 200, html, { formActions: [new URL(target.redirectUri).origin], scriptNonce: nonce });
  }
  const url = new URL(target.redirectUri);
  const encoded = new URLSearchParams(all);
  if (target.responseMode === 'fragment') url.hash = encoded.toString();
  else for (const [k, v] of encoded) url.searchParams.set(k, v);
  return reply.code(302).header('cache-control', 'no-store').redirect(url.toString());
}

export function respondWithError(
  reply: FastifyReply,
  target: Pick<AuthorizeRequest, 'redirectUri' | 'responseMode' | 'state'>,
  err: OAuthError,
  traceId: string,
  correlationId: string,
): FastifyReply {
  return respondToClient(reply, target, {
    error: err.error,
    error_description: `AADSTS${err.aadsts}: ${err.description} Trace ID: ${traceId} Correlation ID: ${correlationId}`,
    error_codes: String(err.aadsts),
    trace_id: traceId,
    correlation_id: correlationId,
    ...(err.suberror ? { error_subcode: err.suberror } : {}),
  });
}

/** Issues a single-use authorization code bound to the session's epoch and sends it to the client. */
export async function issueCode(
  reply: FastifyReply,
  services: Services,
  request: AuthorizeRequest,
  session: SsoSession,
  user: User,
  signInMethod: SignInMethod,
): Promise<FastifyReply> {
  const code = newOpaqueToken();
  await services.store.codes.insert({
    hash: digestCredential(code),
    grantId: newGuid(),
    tenantId: user.tenantId,
    clientId: request.app.appId,
    userId: user.id,
    sessionId: session.id,
    redirectUri: request.redirectUri,
    scopes: request.scopes.echo,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallenge ? 'S256' : null,
    nonce: request.nonce,
    // The session's epoch, not a fresh read: a revoke since sign-in kills the code too.
    epoch: session.epoch,
    authTime: session.authTime,
    expiresAt: services.clock.now() + services.config.tokens.authorizationCodeSeconds * 1000,
    consumedAt: null,
    clientCapabilities: request.claims.clientCapabilities,
    signInMethod,
  });
  return respondToClient(reply, request, { code, client_info: services.tokens.clientInfo(user), session_state: session.id });
}
