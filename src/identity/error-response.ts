import type { FastifyReply, FastifyRequest } from 'fastify';
import { StoreUnavailableError } from '../store/store.js';
import { AADSTS, OAuthError, TemporarilyUnavailable } from './oauth-errors.js';

/** Entra's timestamp form in token errors: `yyyy-MM-dd HH:mm:ssZ`. */
export function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function correlationIdOf(req: FastifyRequest): string {
  const h = req.headers['client-request-id'];
  if (typeof h === 'string' && /^[\w-]{1,64}$/.test(h)) return h;
  const body = req.body as Record<string, unknown> | undefined;
  const b = body && typeof body === 'object' ? body['client-request-id'] : undefined;
  if (typeof b === 'string' && /^[\w-]{1,64}$/.test(b)) return b;
  return req.id;
}

/** Maps fastify's own request errors (parsing, size) to OAuth errors; anything else is internal. */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  // The database is down or overloaded: the transaction did not commit, so a retry is safe.
  if (err instanceof StoreUnavailableError) return AADSTS.transient(err.retryAfterSeconds);
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return AADSTS.bodyTooLarge();
  if (typeof code === 'string' && code.startsWith('FST_ERR_CTP')) return AADSTS.malformedBody();
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return AADSTS.malformedBody();
  return AADSTS.internal();
}

/** The JSON body Entra's token endpoint answers errors with (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). */
export function tokenErrorBody(err: OAuthError, traceId: string, correlationId: string, now: number): Record<string, unknown> {
  const timestamp = entraTimestamp(now);
  const body: Record<string, unknown> = {
    error: err.error,
    error_description: `AADSTS${err.aadsts}: ${err.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
  };
  if (err.suberror) body.suberror = err.suberror;
  return body;
}

/** The one error-to-response function of the JSON endpoints (token, devicecode). */
export function sendTokenError(req: FastifyRequest, reply: FastifyReply, error: unknown, now: number): FastifyReply {
  const err = toOAuthError(error);
  if (!(error instanceof OAuthError)) {
    const level = err.status >= 500 ? 'error' : 'info';
    req.log[level]({ err: error, requestId: req.id }, 'token endpoint request failed');
  }
  if (err instanceof TemporarilyUnavailable) reply.header('retry-after', String(err.retryAfterSeconds));
  return reply
    .code(err.status)
    .header('cache-control', 'no-store, no-cache')
    .header('pragma', 'no-cache')
    .type('application/json; charset=utf-8')
    .send(tokenErrorBody(err, req.id, correlationIdOf(req), now));
}
