/**
 * Admin consent, in Graph's shape: `POST /oauth2PermissionGrants` (delegated permissions for all
 * users, https://learn.microsoft.com/graph/api/oauth2permissiongrant-post) and
 * `POST /servicePrincipals/{id}/appRoleAssignedTo` (an application permission,
 * https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto). Both write the
 * client application (Microsoft Graph consent in delegatedPermissions / applicationPermissions,
 * any other resource in resourceGrants) through the one registration path, audited.
 *
 * Portcullis simplification (docs/graph-api.md, "Consent"): there are no separate service
 * principal objects; a service principal's id is its application's appId, and Microsoft Graph's is
 * its well-known appId 00000003-0000-0000-c000-000000000000. Grants are not objects of their own:
 * they cannot be listed, updated or deleted over Graph (PATCH the client's permissions instead).
 */
import { type ApplicationAction, mayManageApplications } from '../core/authorization/application-actions.js';
import type { Application, ResourceGrant } from '../core/model.js';
import {
  GRAPH_RESOURCE_APP_ID,
  canonicalPermission,
  isKnownApplicationPermission,
  isKnownDelegatedPermission,
} from '../core/permissions.js';
import { actorOf, demand } from './authorize.js';
import { requireJsonObject } from './body.js';
import { RequestBadRequest, RequestResourceNotFound } from './errors.js';
import { type GraphContext, type GraphRoute, sendJson, serviceRoot } from './http.js';
import { writeApplication } from './applications.js';
import { isGuid } from './user-lookup.js';

/**
 * Microsoft Graph's app-role ids for the application permissions that can be granted over Graph
 * (the Identifier column of https://learn.microsoft.com/graph/permissions-reference). The other
 * application permissions Portcullis knows are granted in the seed file (docs/seed-file.md).
 */
export const GRAPH_APP_ROLE_IDS: Readonly<Record<string, string>> = {
  'df021288-bdef-4463-88db-98f22de89214': 'User.Read.All',
  '741f803b-c850-494e-b5df-cde7c675a1ca': 'User.ReadWrite.All',
  '7ab1d382-f21e-4acd-a863-ba3e13f7da61': 'Directory.Read.All',
  '19dbc75e-c2e2-444c-a770-ec69d8559fc7': 'Directory.ReadWrite.All',
  '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30': 'Application.Read.All',
  '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9': 'Application.ReadWrite.All',
  'b0afded3-3588-46d8-8b3d-9842eff778da': 'AuditLog.Read.All',
  '06b708a9-e830-4db3-a914-8e69da51d44f': 'AppRoleAssignment.ReadWrite.All',
};

const invalid = (property: string, type: string): RequestBadRequest =>
  new RequestBadRequest(`Invalid value specified for property '${property}' of resource '${type}'.`);

function guidField(body: Record<string, unknown>, property: string, type: string): string {
  const v = body[property];
  if (typeof v !== 'string' || !isGuid(v)) throw invalid(property, type);
  return v.toLowerCase();
}

function onlyKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!key.startsWith('@odata.') && !allowed.includes(key))
      throw new RequestBadRequest(`Property '${key}' does not exist as a declared property or extension property.`);
  }
}

/** The application behind a service principal id (= its appId here), or 404. */
async function appOfServicePrincipal(ctx: GraphContext, id: string): Promise<Application> {
  const app = await ctx.services.store.applications.findByAppId(ctx.services.tenant.id, id);
  if (!app) throw new RequestResourceNotFound(id);
  return app;
}

function withGrant(client: Application, resourceAppId: string, change: (g: ResourceGrant) => ResourceGrant): Application {
  const grants = client.resourceGrants ?? [];
  const current = grants.find((g) => g.resourceAppId === resourceAppId) ?? { resourceAppId, scopes: [], appRoleIds: [] };
  return { ...client, resourceGrants: [...grants.filter((g) => g.resourceAppId !== resourceAppId), change(current)] };
}

const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])];

async function grantDelegated(ctx: GraphContext): Promise<void> {
  demand(mayManageApplications(actorOf(ctx.caller), 'grantDelegatedConsent'));
  const body = requireJsonObject(ctx.request.body);
  onlyKeys(body, ['clientId', 'consentType', 'resourceId', 'scope', 'principalId']);
  const type = 'OAuth2PermissionGrant';
  if (body.consentType !== 'AllPrincipals')
    throw new RequestBadRequest("Portcullis supports only consentType 'AllPrincipals' (admin consent for all users).");
  if (body.principalId !== undefined && body.principalId !== null) throw invalid('principalId', type);
  const clientId = guidField(body, 'clientId', type);
  const resourceId = guidField(body, 'resourceId', type);
  if (typeof body.scope !== 'string') throw invalid('scope', type);
  const scopes = body.scope.split(' ').filter((s) => s !== '');
  if (scopes.length === 0) throw invalid('scope', type);
  const client = await appOfServicePrincipal(ctx, clientId);
  let next: Application;
  if (resourceId === GRAPH_RESOURCE_APP_ID) {
    if (!scopes.every(isKnownDelegatedPermission)) throw invalid('scope', type);
    next = {
      ...client,
      delegatedPermissions: union(
        client.delegatedPermissions,
        scopes.map((s) => canonicalPermission(s)!),
      ),
    };
  } else {
    const resource = await appOfServicePrincipal(ctx, resourceId);
    const exposed = (resource.api?.oauth2PermissionScopes ?? []).filter((s) => s.isEnabled).map((s) => s.value);
    if (!scopes.every((s) => exposed.includes(s))) throw invalid('scope', type);
    next = withGrant(client, resource.appId, (g) => ({ ...g, scopes: union(g.scopes, scopes) }));
  }
  await writeApplication(ctx, 'Add delegated permission grant', next, client);
  sendJson(ctx.reply, 201, {
    '@odata.context': `${serviceRoot(ctx)}/$metadata#oauth2PermissionGrants/$entity`,
    clientId,
    consentType: 'AllPrincipals',
    id: Buffer.from(`${clientId}:${resourceId}`).toString('base64url'),
    principalId: null,
    resourceId,
    scope: scopes.join(' '),
  });
}

async function assignAppRole(ctx: GraphContext): Promise<void> {
  const body = requireJsonObject(ctx.request.body);
  onlyKeys(body, ['principalId', 'resourceId', 'appRoleId']);
  const type = 'AppRoleAssignment';
  const resourceId = (ctx.params.id ?? '').toLowerCase();
  const toGraph = resourceId === GRAPH_RESOURCE_APP_ID;
  const action: ApplicationAction = toGraph ? 'grantGraphApplicationConsent' : 'grantApplicationConsent';
  demand(mayManageApplications(actorOf(ctx.caller), action));
  if (!isGuid(resourceId)) throw new RequestResourceNotFound(ctx.params.id ?? '');
  const principalId = guidField(body, 'principalId', type);
  if (guidField(body, 'resourceId', type) !== resourceId) throw invalid('resourceId', type);
  const appRoleId = guidField(body, 'appRoleId', type);
  const client = await appOfServicePrincipal(ctx, principalId);
  let next: Application;
  let resourceName = 'Microsoft Graph';
  if (toGraph) {
    const permission = GRAPH_APP_ROLE_IDS[appRoleId];
    if (!permission || !isKnownApplicationPermission(permission)) throw invalid('appRoleId', type);
    next = { ...client, applicationPermissions: union(client.applicationPermissions, [permission]) };
  } else {
    const resource = await appOfServicePrincipal(ctx, resourceId);
    const role = (resource.appRoles ?? []).find((r) => r.id.toLowerCase() === appRoleId);
    if (!role?.isEnabled || !role.allowedMemberTypes.includes('Application')) throw invalid('appRoleId', type);
    resourceName = resource.displayName;
    next = withGrant(client, resource.appId, (g) => ({ ...g, appRoleIds: union(g.appRoleIds, [role.id]) }));
  }
  await writeApplication(ctx, 'Add app role assignment to service principal', next, client);
  sendJson(ctx.reply, 201, {
    '@odata.context': `${serviceRoot(ctx)}/$metadata#servicePrincipals('${resourceId}')/appRoleAssignedTo/$entity`,
    id: Buffer.from(`${principalId}:${appRoleId}`).toString('base64url'),
    appRoleId,
    createdDateTime: new Date(ctx.services.clock.now()).toISOString(),
    principalDisplayName: client.displayName,
    principalId,
    principalType: 'ServicePrincipal',
    resourceDisplayName: resourceName,
    resourceId,
  });
}

export const consentRoutes: readonly GraphRoute[] = [
  { method: 'POST', path: '/oauth2PermissionGrants', handler: grantDelegated },
  { method: 'POST', path: '/servicePrincipals/:id/appRoleAssignedTo', handler: assignAppRole },
];
