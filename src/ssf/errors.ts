/**
 * The transmitter's error vocabulary. SSF 1.0 §8 fixes only the status codes; the body uses the
 * Security Event error shape of RFC 8935 §2.3 / RFC 8936 (`err` from the IANA "Security Event
 * Token Error Codes" registry where one fits, and a human `description`), so receivers parse one
 * shape from every endpoint here. Anything that is not an SsfError becomes a bare 500.
 */
export class SsfError extends Error {
  readonly headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly err: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'SsfError';
  }
}

export const SSF_ERRORS = {
  invalidRequest: (description: string) => new SsfError(400, 'invalid_request', description),
  /** RFC 6750 §3.1: no or a bad token. */
  unauthenticated: (description: string) => {
    const e = new SsfError(401, 'authentication_failed', description);
    e.headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${description.replace(/"/g, "'")}"`;
    return e;
  },
  /** RFC 6750 §3.1: a good token without the permission. */
  forbidden: (description: string) => {
    const e = new SsfError(403, 'access_denied', description);
    e.headers['www-authenticate'] = 'Bearer error="insufficient_scope"';
    return e;
  },
  /** Also for another receiver's stream: its existence is not disclosed. */
  streamNotFound: () => new SsfError(404, 'not_found', 'There is no stream with this stream_id.'),
  tooManyStreams: (max: number) => new SsfError(409, 'conflict', `This receiver already has ${max} streams; delete one first.`),
  tooManyVerifications: (seconds: number) => {
    const e = new SsfError(429, 'too_many_requests', 'A verification event was requested less than min_verification_interval ago.');
    e.headers['retry-after'] = String(Math.max(1, Math.ceil(seconds)));
    return e;
  },
  notFound: () => new SsfError(404, 'not_found', 'Not found.'),
} as const;
