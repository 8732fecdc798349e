/**
 * The Graph-compatible API (the graph.microsoft.com role) under /v1.0 and /beta. Everything is
 * registered in one encapsulated fastify scope with its own body parsers, error handler and
 * not-found handlers, so every answer under these prefixes — including body-parsing failures,
 * unknown segments and unexpected exceptions — is Graph's OData error envelope.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { applicationRoutes } from './applications.js';
import { auditLogRoutes } from './audit-logs.js';
import { revocationReceiptRoutes } from './revocation-receipts.js';
import { authenticate } from './auth.js';
import { batchRoutes } from './batch.js';
import { consentRoutes } from './consent.js';
import { registerBodyParsers } from './body.js';
import { sendGraphError } from './error-response.js';
import { MethodNotAllowed, segmentNotFound } from './errors.js';
import type { GraphRoute, GraphVersion } from './http.js';
import { meRoutes } from './me.js';
import { changePasswordRoutes } from './change-password.js';
import { signInSessionRoutes } from './sign-in-sessions.js';
import { revokeRoutes } from './revoke.js';
import { signInRoutes } from './sign-ins.js';
import { hasAlternateKey, matchRoute, pathSegments, type RouteMatch } from './route-match.js';
import { GraphThrottle } from './throttle.js';
import { userRoutes } from './users.js';
import { directoryRoleRoutes } from './directory-roles.js';
import { registerGraphCors } from './cors.js';
import { groupRoutes } from './groups.js';
import { USERINFO_PATH, registerUserinfo } from './userinfo.js';

export const GRAPH_ROUTES: readonly GraphRoute[] = [
  ...userRoutes,
  ...directoryRoleRoutes,
  ...groupRoutes,
  ...meRoutes,
  ...changePasswordRoutes,
  ...revokeRoutes,
  ...signInSessionRoutes,
  ...auditLogRoutes,
  ...signInRoutes,
  ...revocationReceiptRoutes,
  ...applicationRoutes,
  ...consentRoutes,
];
export const GRAPH_VERSIONS: readonly GraphVersion[] = ['v1.0', 'beta'];

/** What every Graph route runs with: the services and, when configured, the throttle. */
interface GraphRuntime {
  services: Services;
  throttle: GraphThrottle | null;
  routes: readonly GraphRoute[];
}

/**
 * The one way every Graph request is answered, whether fastify's router found its route or not:
 * authentication first, as graph.microsoft.com does (a request without a valid token gets 401
 * whatever its method or path, so the 405 / 400 of route matching tells an anonymous caller
 * nothing about which resources and methods exist), then throttling, then the handler.
 */
async function answer(
  rt: GraphRuntime,
  version: GraphVersion,
  match: RouteMatch,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { services } = rt;
  const caller = await authenticate(request, services);
  if (match.kind === 'method') throw new MethodNotAllowed();
  if (match.kind === 'segment') throw segmentNotFound(match.segment || version);
  const { route, params } = match;
  if (rt.throttle && route.throttled !== false) rt.throttle.take(caller);
  await route.handler({ services, request, reply, version, params, caller });
  return reply;
}

function registerVersion(scope: FastifyInstance, rt: GraphRuntime, version: GraphVersion): void {
  const prefix = `/${version}`;
  const routes = rt.routes.filter((r) => r.versions === undefined || r.versions.includes(version));

  // Paths fastify's (case-sensitive) router did not match: a case variant of a route, a known
  // resource with the wrong method (405), or an unknown segment (400, as Graph answers).
  const dispatch = (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    answer(rt, version, matchRoute(routes, request.method, pathSegments(request.url, prefix)), request, reply);

  // Alternate-key paths (`/applications(appId='…')`) are matched by matchRoute alone, through the not-found handler.
  for (const route of routes.filter((r) => !hasAlternateKey(r.path))) {
    scope.route({
      method: route.method,
      url: route.path,
      handler: (request, reply) => {
        const params = request.params as Record<string, string>;
        // The router lets a parameter match an empty segment (`/users/` as `/users/:id`).
        if (Object.values(params).some((v) => v === '')) return dispatch(request, reply);
        return answer(rt, version, { kind: 'route', route, params }, request, reply);
      },
    });
  }
  scope.setNotFoundHandler(dispatch);
}

export function registerGraphRoutes(http: FastifyInstance, services: Services): void {
  const throttle = services.config.graphThrottle ? new GraphThrottle(services.config.graphThrottle, services.clock) : null;
  const rt: GraphRuntime = {
    services,
    throttle,
    // $batch injects its inner requests into the root instance, i.e. through these same routes,
    // and only to GRAPH_ROUTES (not to itself); its revoke lane charges the same throttle.
    routes: [...GRAPH_ROUTES, ...batchRoutes({ root: http, lane: { throttle }, targets: GRAPH_ROUTES })],
  };
  http.register(async (graph) => {
    registerBodyParsers(graph);
    graph.setErrorHandler((err, request, reply) => sendGraphError(request, reply, err, services));
    registerGraphCors(graph, [USERINFO_PATH, ...GRAPH_VERSIONS.flatMap((v) => [`/${v}`, `/${v}/*`])]);
    registerUserinfo(graph, services);
    for (const version of GRAPH_VERSIONS) {
      await graph.register(async (scope) => registerVersion(scope, rt, version), { prefix: `/${version}` });
    }
  });
}
