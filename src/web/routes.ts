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
      if (error instanceof StoreUnavailableError) {
        req.log.warn({ err: error, requestId: req.id }, 'store unavailable');
        reply.header('retry-after', String(error.retryAfterSeconds));
        return sendPage(reply, 503, errorPage('Sorry, but we’re having trouble signing you in.', 'The service is temporarily unavailable. Please try again in a moment.', `Request Id: ${req.id}`));
      }
      // Errors fastify raises before the handler (malformed form, body too large) keep their 4xx.
      const status = (error as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return sendPage(reply, status, errorPage('Sorry, but we’re having trouble signing you in.', 'The request was not valid.', `Request Id: ${req.id}`));
      }
      // Anything else is a bug: logged with its stack here, never shown. Rethrowing it sent
      // fastify's default body, which carried the database's error message (found by fuzzing).
      req.log.error({ err: error, requestId: req.id }, 'web request failed');
      return sendPage(reply, 500, errorPage('Sorry, but we’re having trouble signing you in.', 'An unexpected error occurred. Please try again.', `Request Id: ${req.id}`));
    });
    registerDeviceLogin(scope, services);
  });
}
