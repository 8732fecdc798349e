import type { Application, ResourceGrant } from '../core/model.js';
import type { TokenAudience } from '../core/token-issuer.js';
import type { Services } from '../services.js';
import { AADSTS } from './oauth-errors.js';

/**
 * An application that exposes an API ("Expose an API": identifier URIs, delegated scopes, app
 * roles; https://learn.microsoft.com/entra/identity-platform/quickstart-configure-app-expose-web-apis)
 * as the resource of a token request, and the consent rules for it.
 */
export interface ApiResource {
  kind: 'api';
  app: Application;
  /** The resource exactly as the client spelled it (identifier URI or appId): a v1 token's `aud`. */
  requestedAs: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An app is a resource once it exposes something: an identifier URI, a scope or an app role. */
function exposesApi(app: Application): boolean {
  return (app.identifierUris?.length ?? 0) > 0 || (app.api?.oauth2PermissionScopes.length ?? 0) > 0 || (app.appRoles?.length ?? 0) > 0;
}

/** The API named by an appId (GUID form) or one of its identifier URIs; null if none. */
export async function findApiResource(services: Pick<Services, 'store' | 'tenant'>, prefix: string): Promise<ApiResource | null> {
  const tenantId = services.tenant.id;
  const guid = GUID.test(prefix);
  const app = guid
    ? await services.store.applications.findByAppId(tenantId, prefix.toLowerCase())
    : await services.store.applications.findByIdentifierUri(tenantId, prefix);
  if (!app || !exposesApi(app)) return null;
  return { kind: 'api', app, requestedAs: guid ? app.appId : prefix };
}

function grantOf(client: Application, resource: Application): ResourceGrant | undefined {
  return client.resourceGrants?.find((g) => g.resourceAppId.toLowerCase() === resource.appId.toLowerCase());
}

/**
 * The scope values one requested name yields: `.default` = every enabled scope the client holds
 * consent for (AADSTS65001 if none); a named scope must be exposed and enabled (else AADSTS70011)
 * and consented (else AADSTS65001). Values compare case-insensitively; the API's spelling is used.
 */
export function delegatedApiScopes(resource: ApiResource, client: Application, name: string, asked: string): string[] {
  const enabled = (resource.app.api?.oauth2PermissionScopes ?? []).filter((s) => s.isEnabled);
  const consented = new Set((grantOf(client, resource.app)?.scopes ?? []).map((v) => v.toLowerCase()));
  if (name === '.default') {
    const values = enabled.filter((s) => consented.has(s.value.toLowerCase())).map((s) => s.value);
    if (values.length === 0) throw AADSTS.notConsented(client.appId, asked.slice(0, 200), client.displayName);
    return values;
  }
  const scope = enabled.find((s) => s.value.toLowerCase() === name.toLowerCase());
  if (!scope) throw AADSTS.invalidScope(asked.slice(0, 200));
  if (!consented.has(scope.value.toLowerCase())) throw AADSTS.notConsented(client.appId, asked.slice(0, 200), client.displayName);
  return [scope.value];
}

/** The values of the resource's enabled application roles assigned to the client (`roles`). */
export function appRolesAssigned(resource: Application, client: Application): string[] {
  const assigned = new Set((grantOf(client, resource)?.appRoleIds ?? []).map((id) => id.toLowerCase()));
  return (resource.appRoles ?? [])
    .filter((r) => r.isEnabled && r.allowedMemberTypes.includes('Application') && assigned.has(r.id.toLowerCase()))
    .map((r) => r.value);
}

/**
 * The token shape the API asked for (`api.requestedAccessTokenVersion`: null or 1 → v1.0, 2 →
 * v2.0) and its `aud`: v1.0 says the resource as requested, v2.0 always the appId
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
 */
export function tokenAudience(resource: ApiResource): TokenAudience {
  const v2 = resource.app.api?.requestedAccessTokenVersion === 2;
  return { resourceAppId: resource.app.appId, aud: v2 ? resource.app.appId : resource.requestedAs, version: v2 ? '2.0' : '1.0' };
}
