import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import {
  GeneralException,
  GraphError,
  RequestBadRequest,
  RequestEntityTooLarge,
  ServiceNotAvailable,
  UnsupportedMediaType,
} from './errors.js';
import { classifyError } from '../http/error-class.js';
import { clientRequestId, sendJson } from './http.js';

/** Graph's innerError.date: UTC, no offset, no fraction (https://learn.microsoft.com/graph/errors). */
export function graphErrorDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/**
 * Maps what can reach the Graph error handler to a GraphError: our own errors as they are, the
 * rest as http/error-class.ts classifies them (the body-parsing errors fastify raises to their
 * Graph equivalent), a bug to null.
 */
export function toGraphError(err: unknown, services: Services): GraphError | null {
  if (err instanceof GraphError) return err;
  const kind = classifyError(err);
  if (kind.kind === 'unavailable') return new ServiceNotAvailable(undefined, kind.retryAfterSeconds);
  if (kind.kind === 'internal') return null;
  switch (kind.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RequestEntityTooLarge(`The request body exceeds the maximum allowed size of ${services.config.bodyLimitBytes} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType('The Content-Type of the request is not supported; send the body as application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RequestBadRequest('The request body length does not match its Content-Length header.');
    case 'FST_ERR_BAD_URL':
      return new RequestBadRequest('The request URL is malformed.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new RequestBadRequest('A segment of the request URL is too long.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new RequestBadRequest('Invalid JSON in the request body.');
    default:
      // Other client-side failures fastify reports with a 4xx status (e.g. an aborted upload).
      return new RequestBadRequest('The request could not be read.');
  }
}

/** What any error thrown on the Graph surface becomes: a GraphError, or GeneralException (logged) for a bug. */
export function graphErrorFor(err: unknown, services: Services, log: FastifyRequest['log'], requestId: string): GraphError {
  const error = toGraphError(err, services);
  if (error !== null) return error;
  log.error({ err, requestId }, 'unexpected error in the Graph API');
  return new GeneralException();
}

/**
 * The OData error envelope (https://learn.microsoft.com/graph/errors) with innerError {date, request-id,
 * client-request-id}. Shared by sendGraphError and the $batch revoke lane (batch-revoke.ts), so a
 * batched error cannot drift from a direct one.
 */
export function graphErrorBody(
  error: GraphError,
  requestId: string,
  clientRequestId: string,
  services: Services,
): { error: Record<string, unknown> } {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      innerError: {
        ...error.innerError,
        date: graphErrorDate(services.clock.now()),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}

/**
 * The one error-to-response function of the Graph surface. An unexpected error is logged with
 * the request id and answered with a generic 500 that carries nothing of it.
 */
export function sendGraphError(request: FastifyRequest, reply: FastifyReply, err: unknown, services: Services): FastifyReply {
  const error = graphErrorFor(err, services, request.log, request.id);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return sendJson(reply, error.status, graphErrorBody(error, request.id, clientRequestId(request, reply), services));
}
