/**
 * `/applications` and `/applications/{id}`: list, get, and update the one writable group of
 * properties Portcullis has beyond Entra's — the OpenID Connect Back-Channel Logout registration
 * (docs/graph-api.md, "Applications"; docs/push-revocation.md). An application's `id` is its
 * `appId` here: Portcullis keeps no separate directory object id for applications.
 */
import type { Application, AuditIdentity, AuditRecord } from '../core/model.js';
import { backchannelLogoutUriProblem } from '../core/backchannel-logout-uri.js';
import { ROLE } from '../core/roles.js';
import { newGuid } from '../crypto/random.js';
import { auditActor, demand, hasAnyPermission, type PermissionSet } from './authorize.js';
import { requireJsonObject } from './body.js';
import { RequestBadRequest, RequestResourceNotFound } from './errors.js';
import { clientRequestId, sendJson, sendNoContent, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { isGuid } from './user-lookup.js';

export const APPLICATION_TYPE = 'microsoft.graph.application';

/** Graph "Get application" / "List applications". */
const READ_APPLICATIONS: PermissionSet = {
  delegated: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  application: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
};
/** Graph "Update application": Application.ReadWrite.All (Directory.ReadWrite.All does not cover applications). */
const WRITE_APPLICATIONS: PermissionSet = { delegated: ['Application.ReadWrite.All'], application: ['Application.ReadWrite.All'] };

/** The properties PATCH accepts; everything else of the Entra resource is refused, never dropped. */
const WRITABLE = ['backchannelLogoutUri', 'backchannelLogoutSessionRequired'] as const;

export function applicationJson(a: Application): Record<string, unknown> {
  return {
    id: a.appId,
    appId: a.appId,
    displayName: a.displayName,
    createdDateTime: new Date(a.createdAt).toISOString(),
    isFallbackPublicClient: a.allowPublicClientFlows,
    publicClient: { redirectUris: a.publicClientRedirectUris },
    web: { redirectUris: a.webRedirectUris },
    spa: { redirectUris: a.spaRedirectUris },
    identifierUris: a.identifierUris ?? [],
    api: {
      requestedAccessTokenVersion: a.api?.requestedAccessTokenVersion ?? null,
      oauth2PermissionScopes: a.api?.oauth2PermissionScopes ?? [],
    },
    appRoles: a.appRoles ?? [],
    requiredResourceAccess: a.requiredResourceAccess ?? [],
    // Secret texts are never returned (as Entra): the first characters only.
    passwordCredentials: a.secrets.map((s) => ({
      keyId: s.keyId,
      displayName: s.displayName,
      hint: s.hint,
      endDateTime: s.endDateTime === null ? null : new Date(s.endDateTime).toISOString(),
      secretText: null,
    })),
    // Portcullis extension (OpenID Connect Back-Channel Logout 1.0 §2.2 client metadata).
    backchannelLogoutUri: a.backchannelLogout?.uri ?? null,
    backchannelLogoutSessionRequired: a.backchannelLogout?.sessionRequired ?? false,
  };
}

/** A delegated caller also needs a directory role allowed to manage applications. */
function mayManageApplications(ctx: GraphContext): boolean {
  if (!hasAnyPermission(ctx.caller, WRITE_APPLICATIONS)) return false;
  return ctx.caller.kind !== 'delegated' || ctx.caller.user.roleTemplateIds.includes(ROLE.globalAdministrator);
}

async function findApplication(ctx: GraphContext): Promise<Application> {
  const id = ctx.params.id ?? '';
  const app = isGuid(id) ? await ctx.services.store.applications.findByAppId(ctx.services.tenant.id, id.toLowerCase()) : null;
  if (!app) throw new RequestResourceNotFound(id);
  return app;
}

async function listApplications(ctx: GraphContext): Promise<void> {
  demand(hasAnyPermission(ctx.caller, READ_APPLICATIONS));
  const apps = await ctx.services.store.applications.list(ctx.services.tenant.id);
  sendJson(ctx.reply, 200, { '@odata.context': `${serviceRoot(ctx)}/$metadata#applications`, value: apps.map(applicationJson) });
}

async function getApplication(ctx: GraphContext): Promise<void> {
  demand(hasAnyPermission(ctx.caller, READ_APPLICATIONS));
  const app = await findApplication(ctx);
  sendJson(ctx.reply, 200, { '@odata.context': `${serviceRoot(ctx)}/$metadata#applications/$entity`, ...applicationJson(app) });
}

const invalidValue = (property: string): RequestBadRequest =>
  new RequestBadRequest(`Invalid value specified for property '${property}' of resource 'Application'.`);

async function updateApplication(ctx: GraphContext): Promise<void> {
  demand(mayManageApplications(ctx));
  const body = requireJsonObject(ctx.request.body);
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.') || (WRITABLE as readonly string[]).includes(key)) continue;
    throw new RequestBadRequest(
      `Property '${key}' of '${APPLICATION_TYPE}' cannot be changed through Portcullis; only ${WRITABLE.join(' and ')} can.`,
    );
  }
  const app = await findApplication(ctx);
  const uri = body.backchannelLogoutUri === undefined ? (app.backchannelLogout?.uri ?? null) : body.backchannelLogoutUri;
  if (uri !== null && (typeof uri !== 'string' || backchannelLogoutUriProblem(uri) !== null)) throw invalidValue('backchannelLogoutUri');
  const required = body.backchannelLogoutSessionRequired ?? app.backchannelLogout?.sessionRequired ?? false;
  if (typeof required !== 'boolean') throw invalidValue('backchannelLogoutSessionRequired');
  const next: Application = { ...app, backchannelLogout: uri === null ? null : { uri, sessionRequired: required } };
  const now = ctx.services.clock.now();
  await ctx.services.store.applications.upsert(next, [
    updateApplicationRecord(app, next, auditActor(ctx.caller), clientRequestId(ctx.request, ctx.reply), now),
  ]);
  sendNoContent(ctx.reply);
}

/** Entra's activity for any change of an application registration ("Update application"). */
function updateApplicationRecord(
  before: Application,
  after: Application,
  actor: AuditIdentity,
  correlationId: string,
  at: number,
): AuditRecord {
  const view = (a: Application) => (a.backchannelLogout ? JSON.stringify(a.backchannelLogout) : null);
  return {
    id: newGuid(),
    tenantId: after.tenantId,
    activityDateTime: at,
    activityDisplayName: 'Update application',
    category: 'ApplicationManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    result: 'success',
    resultReason: '',
    correlationId,
    initiatedBy: actor,
    targetResources: [
      {
        id: after.appId,
        type: 'Application',
        userPrincipalName: null,
        displayName: after.displayName,
        modifiedProperties: [{ displayName: 'BackchannelLogout', oldValue: view(before), newValue: view(after) }],
      },
    ],
  };
}

export const applicationRoutes: readonly GraphRoute[] = [
  { method: 'GET', path: '/applications', handler: listApplications },
  { method: 'GET', path: '/applications/:id', handler: getApplication },
  { method: 'PATCH', path: '/applications/:id', handler: updateApplication },
];
