import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Application } from '../core/model.js';
import { allowOrigin, answerPreflight, originOf, uriOrigin, type CorsPolicy } from '../http/cors.js';
import type { Services } from '../services.js';

/**
 * CORS of the token endpoint as Entra answers it: only the origins of redirect URIs registered
 * as `spa` may read its answers ("spa" redirect URIs "support auth code flow with PKCE and
 * cross-origin resource sharing", https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redirect-uris-for-single-page-apps-spas);
 * an application registered only as web or public client gets no Access-Control-Allow-Origin, so
 * the browser blocks the response. Error answers carry the header too, so msal-browser reads
 * invalid_grant (AADSTS700084, 50173) and renews or asks for interaction instead of seeing a
 * network failure.
 */
export const TOKEN_CORS: CorsPolicy = {
  methods: ['POST', 'OPTIONS'],
  // msal-browser sends only Content-Type (its preventCorsPreflight); other libraries add these.
  allowHeaders: [
    'content-type',
    'client-request-id',
    'return-client-request-id',
    'x-client-sku',
    'x-client-ver',
    'x-client-os',
    'x-client-cpu',
    'x-ms-lib-capability',
    'x-client-current-telemetry',
    'x-client-last-telemetry',
    'x-anchormailbox',
  ],
  exposeHeaders: ['client-request-id', 'request-id', 'retry-after'],
  maxAgeSeconds: 3600,
};

/** The origins of an application's `spa` redirect URIs. */
export function spaOrigins(app: Pick<Application, 'spaRedirectUris'>): Set<string> {
  return new Set(app.spaRedirectUris.map(uriOrigin).filter((o): o is string => o !== null));
}

/**
 * The preflight (OPTIONS): it carries no body, so no client id; allowed for an origin that some
 * application of the tenant registered as `spa`. The actual request is then judged per client.
 */
async function preflight(req: FastifyRequest, reply: FastifyReply, services: Services): Promise<FastifyReply> {
  const origin = originOf(req);
  if (origin === undefined) return answerPreflight(reply, null, TOKEN_CORS);
  const apps = await services.store.applications.list(services.tenant.id);
  return answerPreflight(reply, apps.some((a) => spaOrigins(a).has(origin)) ? origin : null, TOKEN_CORS);
}

/**
 * The actual POST: before the grant runs (so the scope's error answers keep the headers), the
 * Origin is allowed when the named client registered it as `spa`. An unknown client or an
 * unregistered origin gets no CORS headers; the grant's own checks answer as usual.
 */
async function allowSpaClient(req: FastifyRequest, reply: FastifyReply, services: Services): Promise<void> {
  const origin = originOf(req);
  const body = req.body as Record<string, unknown> | undefined;
  const clientId = body && typeof body === 'object' ? body.client_id : undefined;
  if (origin === undefined || typeof clientId !== 'string') return;
  const app = await services.store.applications.findByAppId(services.tenant.id, clientId.toLowerCase()).catch(() => null);
  if (app && spaOrigins(app).has(origin)) allowOrigin(reply, origin, TOKEN_CORS);
}

/** Registers the preflight route and returns the preHandler the token route runs. */
export function registerTokenCors(http: FastifyInstance, path: string, services: Services) {
  http.options(path, (req, reply) => preflight(req, reply, services));
  return (req: FastifyRequest, reply: FastifyReply) => allowSpaClient(req, reply, services);
}
