import type { FastifyInstance } from 'fastify';
import { jwksMaxAgeSeconds } from '../../core/key-rotation.js';
import type { Services } from '../../services.js';
import { answerPreflight, originOf, type CorsPolicy } from '../../http/cors.js';
import { resolveTenant } from '../tenant.js';

/** Public, credential-free metadata: any page may read it. */
const PUBLIC_METADATA_CORS: CorsPolicy = {
  methods: ['GET', 'OPTIONS'],
  allowHeaders: ['content-type', 'client-request-id'],
  exposeHeaders: [],
  maxAgeSeconds: 3600,
};

/**
 * GET /{tenant}/v2.0/.well-known/openid-configuration (OIDC Discovery §4), shaped like Entra's
 * (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc). For `common` / `organizations` the issuer carries Entra's `{tenantid}`
 * placeholder, which MSAL substitutes.
 */
export function registerDiscovery(http: FastifyInstance, services: Services): void {
  const discovery = '/:tenant/v2.0/.well-known/openid-configuration';
  const jwks = '/:tenant/discovery/v2.0/keys';
  // Entra answers both with Access-Control-Allow-Origin: * (msal-browser reads them from the
  // page); a preflight (a client adding headers) gets the same.
  for (const path of [discovery, jwks]) {
    http.options(path, async (req, reply) => answerPreflight(reply, originOf(req) !== undefined ? '*' : null, PUBLIC_METADATA_CORS));
  }
  http.get<{ Params: { tenant: string } }>(discovery, async (req, reply) => {
    resolveTenant(req.params.tenant, services.tenant);
    const alias = req.params.tenant.toLowerCase();
    const multi = alias === 'common' || alias === 'organizations';
    const base = services.config.publicUrl;
    const segment = multi ? alias : services.tenant.id;
    const oauth = `${base}/${segment}/oauth2/v2.0`;
    return reply
      .header('cache-control', 'max-age=86400, private')
      .header('access-control-allow-origin', '*')
      .send({
        token_endpoint: `${oauth}/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        jwks_uri: `${base}/${segment}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: multi ? `${base}/{tenantid}/v2.0` : services.tokens.issuer,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${base}/oidc/userinfo`,
        authorization_endpoint: `${oauth}/authorize`,
        device_authorization_endpoint: `${oauth}/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: false,
        // OpenID Connect Back-Channel Logout 1.0 §2.1 (not advertised by Entra; see push-revocation.md).
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        end_session_endpoint: `${oauth}/logout`,
        grant_types_supported: [
          'authorization_code',
          'refresh_token',
          'client_credentials',
          'password',
          'urn:ietf:params:oauth:grant-type:device_code',
          'device_code',
          'urn:ietf:params:oauth:grant-type:jwt-bearer',
        ],
        code_challenge_methods_supported: ['S256'],
        claims_supported: [
          'sub',
          'iss',
          'aud',
          'exp',
          'iat',
          'nbf',
          'auth_time',
          'nonce',
          'preferred_username',
          'name',
          'tid',
          'ver',
          'oid',
          'sid',
          'email',
        ],
        tenant_region_scope: 'WW',
        cloud_instance_name: new URL(base).host,
        msgraph_host: new URL(base).host,
        // RFC 7009 / RFC 7662 (RFC 8414 §2): Entra has neither; Portcullis does (docs/identity-endpoints.md).
        revocation_endpoint: `${oauth}/revoke`,
        revocation_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
        introspection_endpoint: `${oauth}/introspect`,
        introspection_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      });
  });

  http.get<{ Params: { tenant: string } }>(jwks, async (req, reply) => {
    resolveTenant(req.params.tenant, services.tenant);
    // Never longer than the lead time allows: a verifier must refetch before a next key signs.
    const maxAge = jwksMaxAgeSeconds(services.config);
    return reply
      .header('cache-control', `max-age=${maxAge}, private`)
      .header('access-control-allow-origin', '*')
      .send(services.keys.jwks());
  });
}
