import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';

/** Placeholder until the Graph surface lands. */
export function registerGraphRoutes(http: FastifyInstance, services: Services): void {
  void http;
  void services;
}
