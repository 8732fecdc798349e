import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { classifyError } from '../http/error-class.js';
import { registerDeviceLogin } from './device-login.js';
import { sendPage } from './send-page.js';
import { errorPage } from './sign-in-page.js';

/** Server-rendered pages that are not part of an OAuth endpoint. */
export function registerWebRoutes(http: FastifyInstance, services: Services): void {
  http.register(async (scope) => {
    // The database is down: a page that says so, 503 + Retry-After, rather than a generic 500.
    scope.setErrorHandler((error, req, reply) => {
      const kind = classifyError(error);
      if (kind.kind === 'unavailable') {
        req.log.warn({ err: error, requestId: req.id }, 'store unavailable');
        reply.header('retry-after', String(kind.retryAfterSeconds));
        return sendPage(reply, kind.status, errorPage('Sorry, but we’re having trouble signing you in.', 'The service is temporarily unavailable. Please try again in a moment.', `Request Id: ${req.id}`));
      }
      // A bad request fastify refused (body too large, unsupported media type) keeps its 4xx;
      // anything else is a generic 500. Neither shows the error's message or stack (docs/threat-model.md).
      const clientError = kind.kind === 'request';
      if (!clientError) req.log.error({ err: error, requestId: req.id }, 'web request failed');
      return sendPage(
        reply,
        kind.status,
        errorPage('Sorry, but we’re having trouble signing you in.', clientError ? 'The request was not valid.' : 'An internal error occurred. Please try again.', `Request Id: ${req.id}`),
      );
    });
    registerDeviceLogin(scope, services);
  });
}
