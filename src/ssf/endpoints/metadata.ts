import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { checkTenant } from '../http.js';
import { DELIVERY } from '../model.js';

/**
 * Transmitter configuration metadata (SSF 1.0 §7). The issuer has a path
 * (https://host/{tenant}/v2.0), so §7.2 inserts it after the well-known segment:
 * /.well-known/ssf-configuration/{tenant}/v2.0. Two conveniences serve the same document:
 * /{tenant}/v2.0/.well-known/ssf-configuration (next to openid-configuration, as Entra's clients
 * look) and /.well-known/ssf-configuration (this deployment has one tenant).
 * Subjects: every user of the tenant is a subject of every stream (default_subjects "ALL"), so
 * there are no add/remove subject endpoints.
 */
export function ssfMetadata(services: Services): Record<string, unknown> {
  const base = `${services.config.publicUrl}/${services.tenant.id}`;
  return {
    spec_version: '1_0',
    issuer: services.tokens.issuer,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    delivery_methods_supported: [DELIVERY.push, DELIVERY.poll],
    configuration_endpoint: `${base}/ssf/streams`,
    status_endpoint: `${base}/ssf/status`,
    verification_endpoint: `${base}/ssf/verify`,
    default_subjects: 'ALL',
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
  };
}

export function registerSsfMetadata(http: FastifyInstance, services: Services): void {
  const send = (reply: import('fastify').FastifyReply) =>
    reply.header('cache-control', 'max-age=3600, private').header('access-control-allow-origin', '*').send(ssfMetadata(services));
  http.get<{ Params: { tenant: string } }>('/.well-known/ssf-configuration/:tenant/v2.0', async (req, reply) => {
    checkTenant(req.params.tenant, services);
    return send(reply);
  });
  http.get<{ Params: { tenant: string } }>('/:tenant/v2.0/.well-known/ssf-configuration', async (req, reply) => {
    checkTenant(req.params.tenant, services);
    return send(reply);
  });
  http.get('/.well-known/ssf-configuration', async (_req, reply) => send(reply));
}
