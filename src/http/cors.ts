import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * CORS response headers (Fetch standard §3.2, "CORS protocol"). Every surface that browsers call
 * from other origins states its policy once and calls these: the token endpoint
 * (identity/token-cors.ts), discovery and JWKS (identity/endpoints/discovery.ts), the Graph API
 * and userinfo (graph/cors.ts). None allows credentials: MSAL Browser and the Graph SDK send
 * bearer tokens and form bodies, never cookies, so no cookie-bearing request is ever readable
 * cross-origin.
 */
export interface CorsPolicy {
  /** Methods named in a preflight's Access-Control-Allow-Methods. */
  methods: readonly string[];
  /** Request headers a preflight allows (lower case). */
  allowHeaders: readonly string[];
  /** Response headers a page may read besides the safelisted ones. */
  exposeHeaders: readonly string[];
  /** How long a browser may cache the preflight (Chromium caps it at 7200). */
  maxAgeSeconds: number;
}

/** The origin a page sent, or undefined for a request that is not cross-origin (Fetch §3.1). */
export function originOf(req: FastifyRequest): string | undefined {
  const origin = req.headers.origin;
  return typeof origin === 'string' && origin !== '' ? origin : undefined;
}

/**
 * Lets `allowed` read this response: `*` for a public resource, or the origin echoed (with
 * Vary: Origin, so a shared cache does not hand one origin's answer to another).
 */
export function allowOrigin(reply: FastifyReply, allowed: string, policy: CorsPolicy): void {
  reply.header('access-control-allow-origin', allowed);
  if (allowed !== '*') reply.header('vary', 'Origin');
  if (policy.exposeHeaders.length > 0) reply.header('access-control-expose-headers', policy.exposeHeaders.join(', '));
}

/**
 * A preflight (OPTIONS with Access-Control-Request-Method): 204, with the allow headers only when
 * `allowed` names who may ask; without them the browser refuses the actual request itself.
 */
export function answerPreflight(reply: FastifyReply, allowed: string | null, policy: CorsPolicy): FastifyReply {
  if (allowed !== null) {
    reply.header('access-control-allow-origin', allowed);
    if (allowed !== '*') reply.header('vary', 'Origin');
    reply.header('access-control-allow-methods', policy.methods.join(', '));
    reply.header('access-control-allow-headers', policy.allowHeaders.join(', '));
    reply.header('access-control-max-age', String(policy.maxAgeSeconds));
  }
  return reply.code(204).send();
}

/** The origin (scheme://host:port) of a registered URI, or null when it is not a URL. */
export function uriOrigin(uri: string): string | null {
  try {
    const origin = new URL(uri).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
