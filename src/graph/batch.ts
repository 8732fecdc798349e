/**
 * `POST /v1.0/$batch` and `/beta/$batch`: JSON batching (reference §4.4).
 *
 * Each inner request is dispatched with fastify's `inject()` on the root instance, with the outer
 * request's Authorization. That is deliberate: an inner request then goes through exactly what a
 * direct request goes through — the router (including the case-insensitive fallback, 400 for an
 * unknown segment, 405), the Graph body parsers, the request-id hook, authentication, throttling
 * and the one Graph error-to-response function — so a batched call cannot drift from an unbatched
 * one, and each inner request is throttled individually as Graph documents. Calling the route
 * handlers directly would need a second copy of that pipeline. inject() opens no socket; its cost
 * is tens of microseconds per request.
 *
 * The one exception is bulk revocation (BENCHMARKS.md, B3), where that cost exceeded the
 * revocation's own: plain revoke requests take the revoke lane (batch-revoke.ts), which runs the
 * same steps with the same functions, without fastify's request and reply objects.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { graphErrorDate } from './error-response.js';
import { FailedDependency, RequestBadRequest, type GraphError } from './errors.js';
import { sendJson, type GraphContext, type GraphRoute } from './http.js';
import { parseBatch, type BatchItem } from './batch-request.js';
import { laneRevokeOf, runLaneRevoke, type BatchResponse, type RevokeLane } from './batch-revoke.js';

export type { BatchResponse } from './batch-revoke.js';

/**
 * Whether revokes take the lane. Only test/graph/batch-revoke-lane.test.ts turns it off, to run
 * the same batch through inject() and compare the answers.
 */
export const batchDispatch = { revokeLane: true };

/** Headers that describe the transport of the inner response, not its content: not copied. */
const TRANSPORT_HEADERS = new Set(['content-length', 'connection', 'transfer-encoding', 'date', 'keep-alive', 'strict-transport-security']);

/** An inner response built here (bad URL, failed dependency), in the same envelope as the routes'. */
function errorResponse(item: BatchItem, error: GraphError, services: Services): BatchResponse {
  const requestId = randomUUID();
  return {
    id: item.id,
    status: error.status,
    headers: { 'content-type': 'application/json' },
    body: {
      error: {
        code: error.code,
        message: error.message,
        innerError: { date: graphErrorDate(services.clock.now()), 'request-id': requestId, 'client-request-id': item.headers['client-request-id'] ?? requestId },
      },
    },
  };
}

/** The inner URL below the version prefix, or null if it is not a relative Graph URL. */
function innerPath(url: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) return null; // absolute URLs are not batchable
  const path = url.replace(/^\/+/, '');
  const first = (path.split(/[/?]/, 1)[0] ?? '').toLowerCase();
  if (first === '$batch' || first === 'v1.0' || first === 'beta') return null; // no nesting, no version switch
  return path;
}

function payloadOf(item: BatchItem): string | Buffer | undefined {
  if (item.body === undefined) return undefined;
  const type = item.headers['content-type'] ?? '';
  // §4.4: a JSON body is given as JSON; any other body as a base64 string.
  if (/json/i.test(type)) return JSON.stringify(item.body);
  return typeof item.body === 'string' ? Buffer.from(item.body, 'base64') : JSON.stringify(item.body);
}

async function dispatch(root: FastifyInstance, lane: RevokeLane, ctx: GraphContext, item: BatchItem): Promise<BatchResponse> {
  const path = innerPath(item.url);
  if (path === null) {
    return errorResponse(item, new RequestBadRequest(`Invalid request URL '${item.url.slice(0, 200)}': use a URL relative to /${ctx.version}.`), ctx.services);
  }
  const revoke = batchDispatch.revokeLane ? laneRevokeOf(ctx.version, item, path) : null;
  if (revoke) return runLaneRevoke(lane, ctx, item, revoke);
  const headers: Record<string, string> = { ...item.headers };
  delete headers['content-length'];
  delete headers.host;
  const authorization = ctx.request.headers.authorization;
  if (typeof authorization === 'string') headers.authorization = authorization;
  else delete headers.authorization;
  const payload = payloadOf(item);
  const res = await root.inject({ method: item.method, url: `/${ctx.version}/${path}`, headers, ...(payload !== undefined ? { payload } : {}) });
  const outHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined || TRANSPORT_HEADERS.has(name)) continue;
    outHeaders[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  const response: BatchResponse = { id: item.id, status: res.statusCode, headers: outHeaders };
  if (res.body.length > 0) {
    try {
      response.body = JSON.parse(res.body);
    } catch {
      response.body = Buffer.from(res.rawPayload).toString('base64');
    }
  }
  return response;
}

const succeeded = (r: BatchResponse) => r.status >= 200 && r.status < 300;

/** Runs every request as soon as its dependencies have answered; a failed dependency gives 424. */
export async function runBatch(root: FastifyInstance, lane: RevokeLane, ctx: GraphContext, items: readonly BatchItem[]): Promise<BatchResponse[]> {
  const started = new Map<string, Promise<BatchResponse>>();
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i]));
  // parseBatch ruled out cycles and unknown ids, so this recursion terminates.
  const start = (item: BatchItem): Promise<BatchResponse> => {
    const key = item.id.toLowerCase();
    const existing = started.get(key);
    if (existing) return existing;
    const run = (async () => {
      const deps = await Promise.all(item.dependsOn.map((d) => start(byId.get(d.toLowerCase())!)));
      const failed = deps.find((d) => !succeeded(d));
      if (failed) return errorResponse(item, new FailedDependency(`Request '${item.id}' depends on request '${failed.id}', which failed.`), ctx.services);
      return dispatch(root, lane, ctx, item);
    })();
    started.set(key, run);
    return run;
  };
  return Promise.all(items.map(start));
}

/**
 * The $batch route; `root` is the app's root fastify instance, which inner requests are injected
 * into; `lane` what the revoke lane shares with the routes (the throttle).
 */
export function batchRoutes(root: FastifyInstance, lane: RevokeLane): GraphRoute[] {
  return [
    {
      method: 'POST',
      path: '/$batch',
      // The envelope is not charged; each inner request is (reference §4.4).
      throttled: false,
      handler: async (ctx) => {
        const items = parseBatch(ctx.request.body);
        const responses = await runBatch(root, lane, ctx, items);
        sendJson(ctx.reply, 200, { responses });
      },
    },
  ];
}
