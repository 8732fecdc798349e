import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The request-id rule of every surface (https://learn.microsoft.com/graph/errors, docs/graph-api.md
 * "Errors"; the token endpoint's `correlation_id`, docs/identity-endpoints.md): every response carries
 * `request-id` (our id for the request) and `client-request-id`, which echoes the client's value
 * when it is a plausible id and otherwise equals `request-id`. Only word characters and hyphens,
 * at most 64, are echoed: the value goes back into headers, JSON bodies and audit records.
 */
const PLAUSIBLE_ID = /^[\w-]{1,64}$/;

/** The client's id if it sent a plausible one, else undefined. */
export function plausibleClientId(sent: unknown): string | undefined {
  return typeof sent === 'string' && PLAUSIBLE_ID.test(sent) ? sent : undefined;
}

/** The client-request-id answered for a request whose `client-request-id` header is `sent`. */
export function clientRequestIdFor(sent: unknown, requestId: string): string {
  return plausibleClientId(sent) ?? requestId;
}

/** The client-request-id of this request (the header rule; see identity/error-response.ts for the form parameter). */
export function clientRequestIdOf(req: FastifyRequest): string {
  return clientRequestIdFor(req.headers['client-request-id'], req.id);
}

/** Sets both headers; app.ts's onRequest hook, and the framework-error path where that hook has not run. */
export function setRequestIdHeaders(req: FastifyRequest, reply: FastifyReply): void {
  reply.header('request-id', req.id);
  reply.header('client-request-id', clientRequestIdOf(req));
}
