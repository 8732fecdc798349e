import type { FastifyInstance } from 'fastify';
import { classifyError } from '../http/error-class.js';
import type { Services } from '../services.js';
import { sendPage } from '../web/send-page.js';
import { errorPage, messagePage } from '../web/sign-in-page.js';
import { registerAuthorize } from './endpoints/authorize.js';
import { registerDeviceCode } from './endpoints/devicecode.js';
import { registerDeviceLogin } from './endpoints/device-login.js';
import { registerDiscovery } from './endpoints/discovery.js';
import { registerLogout } from './endpoints/logout.js';
import { registerToken } from './endpoints/token.js';
import { registerRevoke } from './endpoints/revoke.js';
import { registerIntrospect } from './endpoints/introspect.js';
import { RedirectableError, UnredirectableError } from './authorize-request.js';
import { respondWithError } from './authorize-response.js';
import { correlationIdOf, sendTokenError, toOAuthError } from './error-response.js';
import { OAuthError, TemporarilyUnavailable } from './oauth-errors.js';

/** The authorization server (the login.microsoftonline.com role), in its own encapsulated scope. */
export function registerIdentityRoutes(http: FastifyInstance, services: Services): void {
  http.register(async (scope) => {
    // The one error-to-response step of these endpoints, for what fastify raises before a handler
    // runs (body too large, bad content type, malformed form) and for what the handlers throw:
    // OAuth JSON for the API endpoints, a page for the browser-facing ones. Decided by the route,
    // not the URL, whose query string the client writes.
    scope.setErrorHandler((error, req, reply) => {
      const route = req.routeOptions.url ?? '';
      if (route.endsWith('/oauth2/v2.0/authorize') || route.endsWith('/oauth2/v2.0/logout')) {
        // RFC 6749 §4.1.2.1: once the redirect URI is trusted, errors go back to the client.
        if (error instanceof RedirectableError) return respondWithError(reply, error.request, error.error, req.id, correlationIdOf(req));
        const err = toOAuthError(error instanceof UnredirectableError ? error.error : error);
        if (err.status >= 500) req.log.error({ err: error, requestId: req.id }, 'identity request failed');
        if (err instanceof TemporarilyUnavailable) reply.header('retry-after', String(err.retryAfterSeconds));
        // A refused sign-out (an unknown tenant) names what failed; the session was not touched.
        if (route.endsWith('/logout') && error instanceof OAuthError)
          return sendPage(reply, 400, messagePage('Sign-out failed', err.description));
        return sendPage(
          reply,
          err.status >= 500 ? err.status : 400,
          errorPage('Sorry, but we’re having trouble signing you in.', err.description, `AADSTS${err.aadsts} · Request Id: ${req.id}`),
        );
      }
      return sendTokenError(req, reply, error, services.clock.now());
    });
    registerDiscovery(scope, services);
    registerAuthorize(scope, services);
    registerToken(scope, services);
    registerDeviceCode(scope, services);
    registerLogout(scope, services);
    registerRevoke(scope, services);
    registerIntrospect(scope, services);
  });
}

/**
 * The device sign-in pages (`/devicelogin`, RFC 8628 §3.3), in a scope of their own: they are not
 * under a tenant, and every error answers as a page. The database is down: a page that says so,
 * 503 + Retry-After, rather than a generic 500. A bad request fastify refused (body too large,
 * unsupported media type) keeps its 4xx; anything else is a generic 500. Neither shows the error's
 * message or stack (docs/threat-model.md).
 */
export function registerDeviceLoginPages(http: FastifyInstance, services: Services): void {
  http.register(async (scope) => {
    scope.setErrorHandler((error, req, reply) => {
      const kind = classifyError(error);
      if (kind.kind === 'unavailable') {
        req.log.warn({ err: error, requestId: req.id }, 'store unavailable');
        reply.header('retry-after', String(kind.retryAfterSeconds));
        return sendPage(
          reply,
          kind.status,
          errorPage(
            'Sorry, but we’re having trouble signing you in.',
            'The service is temporarily unavailable. Please try again in a moment.',
            `Request Id: ${req.id}`,
          ),
        );
      }
      const clientError = kind.kind === 'request';
      if (!clientError) req.log.error({ err: error, requestId: req.id }, 'web request failed');
      return sendPage(
        reply,
        kind.status,
        errorPage(
          'Sorry, but we’re having trouble signing you in.',
          clientError ? 'The request was not valid.' : 'An internal error occurred. Please try again.',
          `Request Id: ${req.id}`,
        ),
      );
    });
    registerDeviceLogin(scope, services);
  });
}
