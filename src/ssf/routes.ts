import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { registerSsfMetadata } from './endpoints/metadata.js';
import { registerPollEndpoint } from './endpoints/poll.js';
import { registerStatusEndpoints } from './endpoints/status.js';
import { registerStreamEndpoints } from './endpoints/streams.js';
import { registerVerifyEndpoint } from './endpoints/verify.js';
import { sendSsfError } from './http.js';

/** The Shared Signals transmitter's HTTP surface (docs/push-revocation.md), in its own scope. */
export function registerSsfRoutes(http: FastifyInstance, services: Services): void {
  http.register(async (scope) => {
    scope.setErrorHandler((error, req, reply) => sendSsfError(req, reply, error));
    registerSsfMetadata(scope, services);
    registerStreamEndpoints(scope, services);
    registerStatusEndpoints(scope, services);
    registerVerifyEndpoint(scope, services);
    registerPollEndpoint(scope, services);
  });
}
