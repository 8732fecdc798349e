import type { FastifyInstance, FastifyReply } from 'fastify';
import { LIVE, type HealthReport, type Readiness } from './health.js';
import type { AppMetrics } from './metrics.js';

/** Probe answers are never cached by anything between the probe and us. */
function sendHealth(reply: FastifyReply, report: HealthReport): FastifyReply {
  return reply
    .code(report.status === 'UP' ? 200 : 503)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(report);
}

/** GET /healthz (alive) and /readyz (ready to serve; 503 otherwise), docs/operations.md. */
export function registerHealthRoutes(http: FastifyInstance, readiness: Readiness): void {
  http.get('/healthz', async (_req, reply) => sendHealth(reply, LIVE));
  http.get('/readyz', async (_req, reply) => sendHealth(reply, await readiness.check()));
}

/** GET /metrics: the Prometheus text exposition. */
export function registerMetricsRoute(http: FastifyInstance, metrics: AppMetrics): void {
  http.get('/metrics', async (_req, reply) =>
    reply
      .header('cache-control', 'no-store')
      .type(metrics.contentType)
      .send(await metrics.exposition()),
  );
}
