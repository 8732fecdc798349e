/**
 * The $batch revoke lane: inner requests that are plain revokes — `POST /users/{id | upn}/
 * revokeSignInSessions`, `/me/revokeSignInSessions`, their `microsoft.graph.` names and beta's
 * `invalidateAllRefreshTokens` — are executed here directly instead of through fastify's
 * `inject()`, which for bulk revocation (BENCHMARKS.md, B3) cost more server CPU than the
 * revocation itself.
 *
 * Each such inner request still goes through every step a direct request goes through, with the
 * same functions: the request-id / client-request-id rule (src/http/request-id.ts), authentication of
 * the outer request's bearer token (auth.ts, including the pc_epoch check of I6 in docs/revocation-model.md, so a
 * token revoked by an earlier request of the batch is refused for the later ones — see
 * innerCaller for the one shortcut), the caller's
 * throttling bucket (throttle.ts, https://learn.microsoft.com/graph/json-batching: each inner request is charged), the permission
 * and role checks (https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions) and the durable revocation (revoke.ts's authorizeRevoke and revokedAnswer around core/revocation.ts; the batch's revokes share one transaction, UserStore.revokeMany), and the one Graph error
 * envelope (error-response.ts). test/graph/batch-revoke-lane.test.ts runs mixed batches through
 * both this lane and inject() and compares the answers.
 *
 * The URL is the one batch-containment.ts resolved and matched against the Graph routes for both
 * ways: a request takes the lane when the route it names is one of the revoke routes above. Only
 * requests whose meaning cannot depend on fastify's URL and body handling take it: no query, a
 * key that is plain characters once percent-decoded (`%40` for '@', as the CLI and the SDKs
 * encode a UPN), and no body or the empty JSON object that clients send with an action (the
 * revoke routes ignore the body). Anything else goes through inject().
 */
import { newTimeOrderedGuid } from '../crypto/random.js';
import { clientRequestIdFor } from '../http/request-id.js';
import type { Services } from '../services.js';
import { authenticateBearer, type Caller } from './auth.js';
import type { InnerTarget } from './batch-containment.js';
import type { BatchItem } from './batch-request.js';
import { graphErrorBody, graphErrorFor } from './error-response.js';
import { GRAPH_CONTENT_TYPE, type GraphContext } from './http.js';
import type { User } from '../core/model.js';
import { revokeManyUsersSessions } from '../core/revocation.js';
import {
  INVALIDATE_ALL_REFRESH_TOKENS,
  REVOKE_SIGN_IN_SESSIONS,
  authorizeRevoke,
  revokeArgs,
  revokedAnswer,
  type RevokeAction,
  type RevokeAnswer,
} from './revoke.js';
import type { GraphThrottle } from './throttle.js';

/** One inner response, as $batch returns it (https://learn.microsoft.com/graph/json-batching). */
export interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** What the lane needs besides the outer request's context: the Graph throttle, if configured. */
export interface RevokeLane {
  throttle: GraphThrottle | null;
}

/** A revoke the lane can run: which action, on which user key (null = /me). */
export interface LaneRevoke {
  action: RevokeAction;
  key: string | null;
}

/** The paths of the revoke routes (revoke.ts): `/users/:id` or `/me`, then the action's name. */
const REVOKE_PATH = /^\/(users\/:id|me)\/(?:microsoft\.graph\.)?(revokeSignInSessions|invalidateAllRefreshTokens)$/;
/** What a key may be after decoding: the characters of object ids and userPrincipalNames. */
const PLAIN_KEY = /^[\w.@+'-]+$/;
/** The Content-Type the Graph JSON parser takes (body.ts). */
const JSON_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset=utf-8[ \t]*)?$/i;

/** No body, or `{}`, with a JSON (or, without a body, no) Content-Type. */
function emptyBody(item: BatchItem): boolean {
  const type = item.headers['content-type'];
  if (type !== undefined && !JSON_TYPE.test(type)) return false;
  if (item.body === undefined) return true;
  const body = item.body;
  return (
    type !== undefined &&
    typeof body === 'object' &&
    body !== null &&
    Object.getPrototypeOf(body) === Object.prototype &&
    Object.keys(body).length === 0
  );
}

/**
 * The inner request as a lane revoke, or null if it must go through inject(). The route match
 * already applied the version: invalidateAllRefreshTokens matches on beta only.
 */
export function laneRevokeOf(item: BatchItem, target: InnerTarget): LaneRevoke | null {
  if (item.method !== 'POST' || target.route === null || target.query !== '' || !emptyBody(item)) return null;
  const { route, params } = target.route;
  const match = route.method === 'POST' ? REVOKE_PATH.exec(route.path) : null;
  if (!match) return null;
  let key: string | null = null;
  if (match[1] !== 'me') {
    key = params.id ?? '';
    if (!PLAIN_KEY.test(key)) return null;
  }
  return { action: match[2] === 'revokeSignInSessions' ? REVOKE_SIGN_IN_SESSIONS : INVALIDATE_ALL_REFRESH_TOKENS, key };
}

/**
 * The caller of an inner request. The $batch route has just authenticated the same token
 * (ctx.caller). A user's token is authenticated again for every inner request, because a revoke
 * earlier in the batch can end it (I6). An application's token carries no revocation state that
 * a revoke can change (auth.ts toCaller reads only the app's display name), so the batch's caller
 * is used as it is: one store read less per revoked user in app-only bulk revocation (B3).
 */
async function innerCaller(ctx: GraphContext): Promise<Caller> {
  if (ctx.caller.kind === 'app') return ctx.caller;
  const authorization = ctx.request.headers.authorization;
  return authenticateBearer(typeof authorization === 'string' ? authorization : undefined, ctx.services);
}

/** A lane revoke of the batch: the inner request and what it revokes. */
export interface LaneRevokeItem {
  item: BatchItem;
  revoke: LaneRevoke;
}

/** One inner request on its way through the lane: its ids and headers, then its caller and target or its error. */
interface InFlight extends LaneRevokeItem {
  requestId: string;
  clientRequestId: string;
  headers: Record<string, string>;
  authorized: { caller: Caller; target: User } | null;
  answer: RevokeAnswer | null;
  error: unknown;
}

/**
 * Runs a batch's lane revokes; resolves, per item, after the revocations have committed durably
 * (I1, docs/revocation-model.md). Each inner request is authenticated, charged and authorized on
 * its own, as a direct request is (a refusal answers that request only); the authorized ones are
 * then revoked in ONE transaction (core/revocation.ts revokeManyUsersSessions, UserStore.revokeMany):
 * each with its own audit record, security event and receipt, but one commit for all of them
 * (BENCHMARKS.md, B3).
 */
export async function runLaneRevokes(lane: RevokeLane, ctx: GraphContext, revokes: readonly LaneRevokeItem[]): Promise<BatchResponse[]> {
  const services: Services = ctx.services;
  const inFlight = await Promise.all(
    revokes.map(async ({ item, revoke }): Promise<InFlight> => {
      // Time-ordered like every request id (app.ts): it is the receipt's correlation id, an indexed key.
      const requestId = newTimeOrderedGuid();
      const clientRequestId = clientRequestIdFor(item.headers['client-request-id'], requestId);
      const headers: Record<string, string> = { 'request-id': requestId, 'client-request-id': clientRequestId };
      const entry: InFlight = { item, revoke, requestId, clientRequestId, headers, authorized: null, answer: null, error: null };
      try {
        const caller = await innerCaller(ctx);
        lane.throttle?.take(caller);
        entry.authorized = { caller, target: await authorizeRevoke(services, caller, revoke.action, revoke.key) };
      } catch (err) {
        entry.error = err;
      }
      return entry;
    }),
  );
  const authorized = inFlight.filter((e) => e.authorized !== null);
  let updated: (User | null)[] = [];
  try {
    updated = await revokeManyUsersSessions(
      services.store,
      services.clock,
      authorized.map((e) => revokeArgs(e.authorized!.caller, e.revoke.action, e.authorized!.target, e.clientRequestId)),
    );
  } catch (err) {
    // The store refused the transaction: none of it applied, every revoke in it fails.
    for (const e of authorized) e.error = err;
  }
  authorized.forEach((e, i) => {
    if (e.error !== null) return;
    try {
      e.answer = revokedAnswer(services, ctx.version, e.revoke.action, e.authorized!.target, updated[i] ?? null);
    } catch (err) {
      e.error = err;
    }
  });
  return inFlight.map((e) => responseOf(ctx, e));
}

/** Runs one lane revoke (a revoke that depends on another request of the batch). */
export async function runLaneRevoke(lane: RevokeLane, ctx: GraphContext, item: BatchItem, revoke: LaneRevoke): Promise<BatchResponse> {
  const [response] = await runLaneRevokes(lane, ctx, [{ item, revoke }]);
  return response as BatchResponse;
}

/** The inner response: the revoke's answer, or the Graph error envelope (error-response.ts) of what refused it. */
function responseOf(ctx: GraphContext, e: InFlight): BatchResponse {
  const { item, headers, requestId, clientRequestId } = e;
  const { answer } = e;
  if (answer?.status === 204) return { id: item.id, status: 204, headers };
  if (answer?.status === 200) {
    return {
      id: item.id,
      status: 200,
      headers: { ...headers, 'content-type': GRAPH_CONTENT_TYPE, 'odata-version': '4.0' },
      body: answer.body,
    };
  }
  const error = graphErrorFor(e.error, ctx.services, ctx.request.log, requestId);
  for (const [name, value] of Object.entries(error.headers)) headers[name.toLowerCase()] = value;
  headers['content-type'] = GRAPH_CONTENT_TYPE;
  headers['odata-version'] = '4.0';
  return { id: item.id, status: error.status, headers, body: graphErrorBody(error, requestId, clientRequestId, ctx.services) };
}
