/**
 * `POST /v1.0/$batch` and `/beta/$batch`: JSON batching (https://learn.microsoft.com/graph/json-batching).
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
 * Before either way runs, batch-containment.ts resolves the inner URL under the batch's version
 * and refuses what would leave it (another version, the identity endpoints, web pages, a nested
 * $batch) with an inner 400, and batch-request.ts has already dropped the inner headers an inner
 * request may not set; the inner request runs with the outer one's Authorization and client
 * address.
 *
 * The one exception is bulk revocation (BENCHMARKS.md, B3), where that cost exceeded the
 * revocation's own: plain revoke requests take the revoke lane (batch-revoke.ts), which runs the
 * same steps with the same functions, without fastify's request and reply objects; the batch's
 * revokes that depend on nothing are revoked together, in one transaction.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { clientRequestIdFor } from '../http/request-id.js';
import type { Services } from '../services.js';
import { graphErrorDate } from './error-response.js';
import { FailedDependency, GraphError } from './errors.js';
import { sendJson, type GraphContext, type GraphRoute } from './http.js';
import { resolveInnerUrl } from './batch-containment.js';
import { parseBatch, type BatchItem } from './batch-request.js';
import { laneRevokeOf, runLaneRevoke, runLaneRevokes, type BatchResponse, type LaneRevokeItem, type RevokeLane } from './batch-revoke.js';

export type { BatchResponse } from './batch-revoke.js';

/**
 * Whether revokes take the lane. Only test/graph/batch-revoke-lane.test.ts turns it off, to run
 * the same batch through inject() and compare the answers.
 */
export const batchDispatch = { revokeLane: true };

/** What inner requests run with. */
export interface BatchRuntime {
  /** The app's root fastify instance, which inner requests are injected into. */
  root: FastifyInstance;
  /** What the revoke lane shares with the routes (the throttle). */
  lane: RevokeLane;
  /** The routes an inner URL may name: every Graph route but $batch (batch-containment.ts). */
  targets: readonly GraphRoute[];
}

/** Headers that describe the transport of the inner response, not its content: not copied. */
const TRANSPORT_HEADERS = new Set(['content-length', 'connection', 'transfer-encoding', 'date', 'keep-alive', 'strict-transport-security']);

/** An inner response built here (URL refused by batch-containment.ts, failed dependency), in the same envelope as the routes'. */
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
        innerError: {
          date: graphErrorDate(services.clock.now()),
          'request-id': requestId,
          'client-request-id': clientRequestIdFor(item.headers['client-request-id'], requestId),
        },
      },
    },
  };
}

function payloadOf(item: BatchItem): string | Buffer | undefined {
  if (item.body === undefined) return undefined;
  const type = item.headers['content-type'] ?? '';
  // https://learn.microsoft.com/graph/json-batching: a JSON body is given as JSON; any other body as a base64 string.
  if (/json/i.test(type)) return JSON.stringify(item.body);
  return typeof item.body === 'string' ? Buffer.from(item.body, 'base64') : JSON.stringify(item.body);
}

async function dispatch(rt: BatchRuntime, ctx: GraphContext, item: BatchItem): Promise<BatchResponse> {
  const target = resolveInnerUrl(ctx.version, item.method, item.url, rt.targets);
  if (target instanceof GraphError) return errorResponse(item, target, ctx.services);
  const revoke = batchDispatch.revokeLane ? laneRevokeOf(item, target) : null;
  if (revoke) return runLaneRevoke(rt.lane, ctx, item, revoke);
  // item.headers went through innerHeaders (batch-request.ts): no credentials, forwarding or
  // hop-by-hop headers of its own. It runs with the outer request's credentials and client address.
  const headers: Record<string, string> = { ...item.headers };
  const authorization = ctx.request.headers.authorization;
  if (typeof authorization === 'string') headers.authorization = authorization;
  const payload = payloadOf(item);
  const res = await rt.root.inject({
    method: item.method,
    url: target.url,
    headers,
    remoteAddress: ctx.request.ip,
    ...(payload !== undefined ? { payload } : {}),
  });
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

/**
 * The revokes that depend on nothing, run together by the lane (one transaction for all of them,
 * batch-revoke.ts); their answers, keyed by lower-cased request id, seed runBatch's map.
 */
function startLaneRevokes(rt: BatchRuntime, ctx: GraphContext, items: readonly BatchItem[]): Map<string, Promise<BatchResponse>> {
  const started = new Map<string, Promise<BatchResponse>>();
  if (!batchDispatch.revokeLane) return started;
  const revokes: LaneRevokeItem[] = [];
  for (const item of items) {
    if (item.dependsOn.length > 0) continue;
    const target = resolveInnerUrl(ctx.version, item.method, item.url, rt.targets);
    const revoke = target instanceof GraphError ? null : laneRevokeOf(item, target);
    if (revoke) revokes.push({ item, revoke });
  }
  if (revokes.length < 2) return started; // one goes through dispatch() like any request
  const all = runLaneRevokes(rt.lane, ctx, revokes);
  revokes.forEach(({ item }, i) =>
    started.set(
      item.id.toLowerCase(),
      all.then((responses) => responses[i] as BatchResponse),
    ),
  );
  return started;
}

/** Runs every request as soon as its dependencies have answered; a failed dependency gives 424. */
export async function runBatch(rt: BatchRuntime, ctx: GraphContext, items: readonly BatchItem[]): Promise<BatchResponse[]> {
  const started = startLaneRevokes(rt, ctx, items);
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i]));
  // parseBatch ruled out cycles and unknown ids, so this recursion terminates.
  const start = (item: BatchItem): Promise<BatchResponse> => {
    const key = item.id.toLowerCase();
    const existing = started.get(key);
    if (existing) return existing;
    const run = (async () => {
      const deps = await Promise.all(item.dependsOn.map((d) => start(byId.get(d.toLowerCase())!)));
      const failed = deps.find((d) => !succeeded(d));
      if (failed)
        return errorResponse(
          item,
          new FailedDependency(`Request '${item.id}' depends on request '${failed.id}', which failed.`),
          ctx.services,
        );
      return dispatch(rt, ctx, item);
    })();
    started.set(key, run);
    return run;
  };
  return Promise.all(items.map(start));
}

/** The $batch route. */
export function batchRoutes(rt: BatchRuntime): GraphRoute[] {
  return [
    {
      method: 'POST',
      path: '/$batch',
      // The envelope is not charged; each inner request is (https://learn.microsoft.com/graph/json-batching).
      throttled: false,
      handler: async (ctx) => {
        const items = parseBatch(ctx.request.body);
        const responses = await runBatch(rt, ctx, items);
        sendJson(ctx.reply, 200, { responses });
      },
    },
  ];
}
