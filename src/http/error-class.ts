import { StoreUnavailableError } from '../store/store.js';

/**
 * What an error that is not a surface's own (GraphError, OAuthError, SsfError) means for the
 * HTTP answer. The one rule behind every surface's renderer (graph/error-response.ts,
 * identity/error-response.ts, ssf/http.ts, the device pages in identity/routes.ts) and the last-resort handler in app.ts;
 * each surface only chooses the envelope.
 * - `unavailable`: the store could not be reached (StoreUnavailableError). The transaction did
 *   not commit, so a retry is safe: 503 with Retry-After (RFC 9110 §10.2.3, §15.6.4).
 * - `request`: the framework refused the request before or while reading it (body too large,
 *   unsupported media type, malformed JSON, bad URL): fastify's errors and its body parsers'
 *   carry a 4xx `statusCode` and, for fastify's own, an `FST_` code.
 * - `internal`: anything else is a bug: 500, logged by the surface, nothing of it in the answer.
 */
export type ErrorClass =
  | { kind: 'unavailable'; status: 503; retryAfterSeconds: number }
  | { kind: 'request'; status: number; code: string | undefined }
  | { kind: 'internal'; status: 500 };

export function classifyError(err: unknown): ErrorClass {
  if (err instanceof StoreUnavailableError) return { kind: 'unavailable', status: 503, retryAfterSeconds: err.retryAfterSeconds };
  const status = member(err, 'statusCode');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = member(err, 'code');
    return { kind: 'request', status, code: typeof code === 'string' ? code : undefined };
  }
  return { kind: 'internal', status: 500 };
}

function member(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}
