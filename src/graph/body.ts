/**
 * Request bodies on the Graph surface: JSON only. An empty body is accepted whatever its
 * Content-Type (the PowerShell SDK posts actions with `Content-Length: 0` and
 * `Content-Type: application/json`, reference §1.1); a non-empty one must be well-formed JSON.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestBadRequest, UnsupportedMediaType } from './errors.js';

type Done = (err: Error | null, body?: unknown) => void;

/**
 * JSON text is UTF-8 (RFC 8259 §8.1). Decoding invalid bytes leniently would turn them into
 * U+FFFD and store something the client never sent, so a body that is not UTF-8 is refused.
 * The BOM is left to the JSON parser, as before.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const isBlank = (body: string | Buffer): boolean => body.toString('utf8').trim().length === 0;

/**
 * Replaces the inherited parsers (form bodies, fastify's JSON parser that rejects empty bodies)
 * in this encapsulated scope. Bodies over the app's bodyLimit fail in fastify before parsing
 * (FST_ERR_CTP_BODY_TOO_LARGE), which the error handler answers with 413.
 */
export function registerBodyParsers(scope: FastifyInstance): void {
  // fastify's secure parser: drops __proto__ / constructor.prototype poisoning attempts.
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: string | Buffer, done: Done) => {
    let text: string;
    try {
      text = typeof body === 'string' ? body : utf8.decode(body);
    } catch {
      done(new RequestBadRequest('Invalid JSON in the request body.'));
      return;
    }
    if (text.trim().length === 0) {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (err: Error | null, parsed?: unknown) => {
      if (err) done(new RequestBadRequest('Invalid JSON in the request body.'));
      else done(null, parsed);
    });
  });
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (request: FastifyRequest, body: string | Buffer, done: Done) => {
    if (isBlank(body)) {
      done(null, undefined);
      return;
    }
    const type = request.headers['content-type'] ?? '(none)';
    done(new UnsupportedMediaType(`Content-Type '${type}' is not supported; send the request body as application/json.`));
  });
}

/** The body as a JSON object; absent or empty is Graph's "Empty Payload" error. */
export function requireJsonObject(body: unknown): Record<string, unknown> {
  if (body === undefined) throw new RequestBadRequest('Empty Payload. JSON content expected.');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestBadRequest('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}
