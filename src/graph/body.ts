/**
 * Request bodies on the Graph surface: JSON only. An empty body is accepted whatever its
 * Content-Type (the PowerShell SDK posts actions with `Content-Length: 0` and
 * `Content-Type: application/json`, https://learn.microsoft.com/graph/api/user-revokesigninsessions); a non-empty one must be well-formed JSON
 * nesting at most MAX_JSON_DEPTH arrays and objects deep.
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
 * How deep arrays and objects may nest in a Graph request body: the default of .NET's JSON
 * reader and serializer that Graph is built on (JsonSerializerOptions.MaxDepth, "a maximum depth
 * of 64", https://learn.microsoft.com/dotnet/api/system.text.json.jsonserializeroptions.maxdepth).
 * JSON.parse copes with any depth, but everything that walks the value afterwards recursively —
 * JSON.stringify of a $batch inner body (batch.ts) first of all — overflows the stack at some
 * thousands of levels. A $batch body counts as a whole: its inner bodies start 3 levels down.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text opens more than `max` arrays/objects inside each other. One pass over the
 * characters, no recursion and no parse; brackets inside strings do not count. On text that is
 * not JSON the answer does not matter: JSON.parse refuses it next.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // '\\': the next character is escaped, even a quote
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

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
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(new RequestBadRequest(`The JSON in the request body nests deeper than ${MAX_JSON_DEPTH} levels.`));
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
