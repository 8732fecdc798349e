import type { FastifyInstance } from 'fastify';
import { allowOrigin, answerPreflight, originOf, type CorsPolicy } from '../http/cors.js';

/**
 * CORS of the Graph surface (and userinfo, which Graph hosts): like graph.microsoft.com, any
 * origin may call it from a browser with a bearer token (https://learn.microsoft.com/graph/tutorials/javascript-spa
 * calls it straight from the page). `*`, because a bearer token, not a cookie, is the credential
 * (Fetch §3.2.5: `*` never lets cookies through). The preflight is answered before
 * authentication, since browsers send it without the Authorization header.
 */
export const GRAPH_CORS: CorsPolicy = {
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  // What the Graph SDKs and MSAL-based pages send (SdkVersion, client-request-id; advanced
  // queries' ConsistencyLevel; Prefer; optimistic concurrency's If-Match).
  allowHeaders: [
    'authorization',
    'content-type',
    'accept',
    'client-request-id',
    'return-client-request-id',
    'sdkversion',
    'consistencylevel',
    'prefer',
    'if-match',
    'if-none-match',
    'odata-version',
    'odata-maxversion',
  ],
  // WWW-Authenticate: a page reads the CAE claims challenge from a 401 (https://learn.microsoft.com/entra/identity-platform/claims-challenge).
  exposeHeaders: ['request-id', 'client-request-id', 'location', 'retry-after', 'www-authenticate', 'etag', 'preference-applied'],
  maxAgeSeconds: 3600,
};

/**
 * For the scope it is called on: every answer (errors included) to a request that carries an
 * Origin gets `Access-Control-Allow-Origin: *`, and OPTIONS on `paths` (a trailing `/*` for all
 * below) is a preflight.
 */
export function registerGraphCors(scope: FastifyInstance, paths: readonly string[]): void {
  scope.addHook('onRequest', async (req, reply) => {
    if (originOf(req) !== undefined) allowOrigin(reply, '*', GRAPH_CORS);
  });
  for (const url of paths) {
    scope.options(url, async (req, reply) => answerPreflight(reply, originOf(req) !== undefined ? '*' : null, GRAPH_CORS));
  }
}
