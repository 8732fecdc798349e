import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessTokenClaims } from './access-token.js';
import { MAX_SET_BYTES } from './read-body.js';
import type { Requirement, ResourceServer } from './resource-server.js';

/** Fastify adapters: a preHandler hook and an encapsulated plugin for the push endpoint. */
declare module 'fastify' {
  interface FastifyRequest {
    /** The validated access token's claims, set by fastifyAuthenticate. */
    auth?: AccessTokenClaims;
  }
}

/** preHandler: 401 with the right challenge (403 without the `required` scope or role), or `request.auth` set. */
export function fastifyAuthenticate(rs: ResourceServer, required?: Requirement) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const outcome = await rs.authenticate(request.headers.authorization, required);
    if (outcome.ok) {
      request.auth = outcome.claims;
      return;
    }
    await reply
      .code(outcome.status)
      .header('www-authenticate', outcome.wwwAuthenticate)
      .header('cache-control', 'no-store')
      .send(outcome.body);
  };
}

/**
 * The RFC 8935 push endpoint as a plugin: `app.register(fastifyPushReceiver(rs), { prefix })` or
 * `{ path }`. Its `application/secevent+jwt` body parser stays inside the plugin's scope.
 */
export function fastifyPushReceiver(rs: ResourceServer, path = '/ssf/events') {
  return async (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser('application/secevent+jwt', { parseAs: 'string', bodyLimit: MAX_SET_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    app.post(path, async (request, reply) => {
      const outcome = await rs.receivePush({
        contentType: request.headers['content-type'],
        authorization: request.headers.authorization,
        body: typeof request.body === 'string' ? request.body : '',
      });
      if (outcome.status === 202) return reply.code(202).send();
      if (outcome.status === 503) reply.header('retry-after', String(outcome.retryAfterSeconds));
      return reply.code(outcome.status).send(outcome.body);
    });
  };
}
