import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { StoreUnavailableError } from '../store/store.js';
import { registerDeviceLogin } from './device-login.js';
import { sendPage } from './send-page.js';
import { errorPage } from './sign-in-page.js';

/** Server-rendered pages that are not part of an OAuth endpoint. */
export function registerWebRoutes(http: FastifyInstance, services: Services): void {
  http.register(async (scope) => {
    // The database is down: a page that says so, 503 + Retry-After, rather than a generic 500.
    scope.setErrorHandler((error, req, reply) => {
      if (!(error instanceof StoreUnavailableError)) throw error;
      req.log.warn({ err: error, requestId: req.id }, 'store unavailable');
      reply.header('retry-after', String(error.retryAfterSeconds));
      return sendPage(reply, 503, errorPage('Sorry, but we’re having trouble signing you in.', 'The service is temporarily unavailable. Please try again in a moment.', `Request Id: ${req.id}`));
    });
    registerDeviceLogin(scope, services);
  });
}
