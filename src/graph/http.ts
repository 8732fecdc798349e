import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { clientRequestIdOf } from '../http/request-id.js';
import type { Caller } from './auth.js';

/** Graph's JSON media type, exactly as graph.microsoft.com sends it (https://learn.microsoft.com/graph/api/user-revokesigninsessions). */
export const GRAPH_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export type GraphVersion = 'v1.0' | 'beta';

/** What a Graph route handler is given: the request, its authenticated caller, the version. */
export interface GraphContext {
  services: Services;
  request: FastifyRequest;
  reply: FastifyReply;
  version: GraphVersion;
  /** Path parameters, URL-decoded. */
  params: Readonly<Record<string, string>>;
  caller: Caller;
}

export interface GraphRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the version prefix, with `:name` parameters, e.g. `/users/:id`. */
  path: string;
  /** Versions that expose the route; both when omitted. */
  versions?: readonly GraphVersion[];
  /** false = not charged to the caller's throttling bucket ($batch: its inner requests are). */
  throttled?: boolean;
  handler(ctx: GraphContext): Promise<void>;
}

/** `<publicUrl>/<version>` — the base of @odata.context, nextLink and Location URLs. */
export function serviceRoot(ctx: Pick<GraphContext, 'services' | 'version'>): string {
  return `${ctx.services.config.publicUrl}/${ctx.version}`;
}

/** The client-request-id this response carries (http/request-id.ts; the app's onRequest hook sets the header). */
export function clientRequestId(request: FastifyRequest, _reply?: FastifyReply): string {
  return clientRequestIdOf(request);
}

/** Serialises here rather than through fastify so the exact Graph content type is kept. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', GRAPH_CONTENT_TYPE).header('odata-version', '4.0').send(JSON.stringify(body));
}

export function sendNoContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}

/** Both routes of a bound OData action: `.../name` and the namespace-qualified `.../microsoft.graph.name`. */
export function actionPaths(base: string, name: string): string[] {
  return [`${base}/${name}`, `${base}/microsoft.graph.${name}`];
}
