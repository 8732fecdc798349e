/**
 * The one error the SDK throws for a Graph error answer: status plus what Graph's OData envelope
 * carries (https://learn.microsoft.com/graph/errors) and Retry-After (https://learn.microsoft.com/graph/throttling). Network failures are not GraphErrors: they
 * surface as fetch's own TypeError (with `cause.code`, e.g. ECONNREFUSED), so callers can tell
 * "the server said no" from "no server answered".
 */
export class GraphError extends Error {
  override name = 'GraphError';
  /** HTTP status, e.g. 403. */
  readonly status: number;
  /** Graph's error code, e.g. `Authorization_RequestDenied`; `''` when the body had none. */
  readonly code: string;
  /** `innerError.request-id`, else the `request-id` response header. */
  readonly requestId: string | null;
  /** `innerError.client-request-id`, else the `client-request-id` response header. */
  readonly clientRequestId: string | null;
  /** Seconds to wait before retrying (Retry-After), when the server said. */
  readonly retryAfter: number | null;
  /** innerError.date as sent (UTC, no offset). */
  readonly date: string | null;
  /** The parsed response body, for anything else a caller needs (e.g. `details`). */
  readonly body: unknown;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | null;
    clientRequestId?: string | null;
    retryAfter?: number | null;
    date?: string | null;
    body?: unknown;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.clientRequestId = init.clientRequestId ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.date = init.date ?? null;
    this.body = init.body;
  }

  /** Builds the error from a status, a header lookup and a parsed body (direct or inner $batch response). */
  static from(status: number, header: (name: string) => string | null | undefined, body: unknown): GraphError {
    const error = isObject(body) && isObject(body.error) ? body.error : {};
    const inner = isObject(error.innerError) ? error.innerError : isObject(error.innererror) ? error.innererror : {};
    const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
    return new GraphError({
      status,
      code: str(error.code) ?? '',
      message: str(error.message) ?? `HTTP ${status}`,
      requestId: str(inner['request-id']) ?? str(header('request-id')),
      clientRequestId: str(inner['client-request-id']) ?? str(header('client-request-id')),
      retryAfter: parseRetryAfter(header('retry-after') ?? null),
      date: str(inner.date),
      body,
    });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Retry-After is seconds (Graph sends integers, sometimes fractions, https://learn.microsoft.com/graph/throttling) or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}
