/**
 * The management listener (`serve --metrics-port`): /metrics, /healthz and /readyz on a port of
 * their own, as Keycloak's management interface (https://www.keycloak.org/server/management-interface).
 * /metrics is served only here: its figures (request rates, error codes, backlog, pool use)
 * tell an outsider how the service is doing, so they stay off the public port, where a firewall
 * rule cannot tell a scrape from a client.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { NO_SCHEMA_COMPILERS } from '../http/no-schema-compilers.js';
import type { Readiness } from './health.js';
import type { AppMetrics } from './metrics.js';
import { processMetrics } from './process-metrics.js';
import { registerHealthRoutes, registerMetricsRoute } from './routes.js';

export function createManagementServer(ops: { metrics: AppMetrics; readiness: Readiness }): FastifyInstance {
  // The process metrics' event-loop histogram measures from now on, not from the first scrape.
  processMetrics();
  const http = Fastify({ logger: false, schemaController: NO_SCHEMA_COMPILERS });
  registerMetricsRoute(http, ops.metrics);
  registerHealthRoutes(http, ops.readiness);
  return http;
}
