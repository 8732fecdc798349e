import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { classifyError } from '../http/error-class.js';
import { SSF_ERRORS, SsfError } from './errors.js';
import type { SsfStream } from './model.js';
import type { Receiver } from './receiver-auth.js';
import { isTransmitterId } from './receiver-input.js';

/**
 * Helpers every SSF endpoint shares: the `{tenant}` segment, the caller's own stream, and the
 * one error-to-response function of this surface.
 */

/** The tenant GUID or its domain. Unlike the identity endpoints, `common` has no issuer to transmit as. */
export function checkTenant(segment: string, services: Services): void {
  const s = segment.toLowerCase();
  if (s !== services.tenant.id.toLowerCase() && s !== services.tenant.domain.toLowerCase()) throw SSF_ERRORS.notFound();
}

/** Another receiver's stream is reported exactly as a missing one: its existence is not disclosed. */
export async function ownStream(receiver: Receiver, streamId: unknown, services: Services): Promise<SsfStream> {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > 128)
    throw SSF_ERRORS.invalidRequest('stream_id is required.');
  if (!isTransmitterId(streamId)) throw SSF_ERRORS.streamNotFound();
  const stream = await services.store.ssf.findStream(services.tenant.id, streamId);
  if (!stream || stream.clientId !== receiver.clientId) throw SSF_ERRORS.streamNotFound();
  return stream;
}

/** Reads a JSON object body (fastify has parsed it); anything else is a 400. */
export function jsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw SSF_ERRORS.invalidRequest('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

export function sendSsfError(req: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (error instanceof SsfError) {
    for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
    return reply.code(error.status).send({ err: error.err, description: error.description });
  }
  const kind = classifyError(error);
  if (kind.kind === 'unavailable') {
    return reply
      .code(kind.status)
      .header('retry-after', String(kind.retryAfterSeconds))
      .send({ err: 'temporarily_unavailable', description: 'The service is temporarily unavailable.' });
  }
  // Fastify's own client errors (bad JSON, wrong content type, body too large) keep their status.
  if (kind.kind === 'request')
    return reply.code(kind.status).send({ err: 'invalid_request', description: 'The request could not be read.' });
  req.log.error({ err: error, requestId: req.id }, 'shared signals request failed');
  return reply.code(500).send({ err: 'server_error', description: 'An unexpected error occurred.' });
}
