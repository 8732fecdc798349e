import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyError } from '../http/error-class.js';
import { clientRequestIdFor, plausibleClientId } from '../http/request-id.js';
import { AADSTS, OAuthError, TemporarilyUnavailable } from './oauth-errors.js';

/** Entra's timestamp form in token errors: `yyyy-MM-dd HH:mm:ssZ`. */
export function entraTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The Correlation ID of an identity answer: the request-id rule (http/request-id.ts), where
 * MSAL may also send `client-request-id` as a form parameter when it sent no header.
 */
export function correlationIdOf(req: FastifyRequest): string {
  const body = req.body as Record<string, unknown> | undefined;
  const fromForm = body && typeof body === 'object' ? body['client-request-id'] : undefined;
  return plausibleClientId(req.headers['client-request-id']) ?? clientRequestIdFor(fromForm, req.id);
}

/** Our OAuth errors as they are; the rest as http/error-class.ts classifies them. */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  const kind = classifyError(err);
  if (kind.kind === 'unavailable') return AADSTS.transient(kind.retryAfterSeconds);
  if (kind.kind === 'internal') return AADSTS.internal();
  // fastify refused the body (parsing, size, media type): Entra answers these as invalid_request.
  return kind.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? AADSTS.bodyTooLarge() : AADSTS.malformedBody();
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
