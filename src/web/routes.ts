import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { registerDeviceLogin } from './device-login.js';

/** Server-rendered pages that are not part of an OAuth endpoint. */
export function registerWebRoutes(http: FastifyInstance, services: Services): void {
  http.register(async (scope) => {
    registerDeviceLogin(scope, services);
  });
}
