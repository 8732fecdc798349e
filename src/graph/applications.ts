/**
 * `/applications`: register, list, read, update and delete applications, and add and remove their
 * client secrets (https://learn.microsoft.com/graph/api/resources/application; docs/graph-api.md,
 * "Applications"). An application is addressed by its object id (`/applications/{id}`) or by its
 * appId as an alternate key (`/applications(appId='{appId}')`). Every write goes through
 * core/application-registration.ts, as the seed file's do, and is audited in the same transaction.
 * Nothing is cached: every instance reads applications from the store on every request, so a change
 * takes effect on all of them at once.
 */
import { type ApplicationViolation, ApplicationRuleError, saveApplication } from '../core/application-registration.js';
import { DEFAULT_SECRET_LIFETIME_MS, newPasswordCredential } from '../core/application-secrets.js';
import { type ApplicationAction, mayManageApplications } from '../core/authorization/application-actions.js';
import type { Application } from '../core/model.js';
import { newGuid } from '../crypto/random.js';
import { applicationAudit, type ApplicationActivity } from './application-audit.js';
import { applicationChanges, applicationJson, invalidValue } from './application-body.js';
import { actorOf, auditActor, demand, hasAnyPermission, type PermissionSet } from './authorize.js';
import { requireJsonObject } from './body.js';
import { DirectoryExpiredPageToken, RequestBadRequest, RequestResourceNotFound } from './errors.js';
import { actionPaths, clientRequestId, sendJson, sendNoContent, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { decodeSkipToken, encodeSkipToken, nextLink, parseTop, readQueryOptions } from './odata.js';
import { isGuid } from './user-lookup.js';

export { APPLICATION_TYPE, applicationJson } from './application-body.js';

/** Graph "Get application" / "List applications". */
const READ_APPLICATIONS: PermissionSet = {
  delegated: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  application: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
};

const demandAction = (ctx: GraphContext, action: ApplicationAction): void => demand(mayManageApplications(actorOf(ctx.caller), action));

/** Graph's errors for the rules of a registration. */
export function registrationError(v: ApplicationViolation): RequestBadRequest {
  switch (v.kind) {
    case 'invalid_value':
      return invalidValue(v.property);
    case 'duplicate_identifier_uri':
      return new RequestBadRequest('Another object with the same value for property identifierUris already exists.', [
        { target: 'identifierUris', code: 'ObjectConflict' },
      ]);
    case 'enabled_entitlement':
      return new RequestBadRequest('Permission (scope or role) cannot be deleted or updated unless disabled first.', [
        { target: v.property, code: 'CannotDeleteOrUpdateEnabledEntitlement' },
      ]);
  }
}

/** Writes through the one registration path; rule violations become Graph's 400s. */
export async function writeApplication(
  ctx: GraphContext,
  activity: ApplicationActivity,
  after: Application,
  before: Application | null,
): Promise<void> {
  const audit = applicationAudit(activity, before, after, auditActor(ctx.caller), clientRequestId(ctx.request), ctx.services.clock.now());
  try {
    await saveApplication(ctx.services.store.applications, after, before, [audit]);
  } catch (e) {
    if (e instanceof ApplicationRuleError) throw registrationError(e.violation);
    throw e;
  }
}

/** The application the path names: `{id}` (object id) or `(appId='{appId}')`; 404 when there is none. */
export async function findApplication(ctx: GraphContext): Promise<Application> {
  const { store, tenant } = ctx.services;
  const byAppId = ctx.params.appId !== undefined;
  const key = (byAppId ? ctx.params.appId : ctx.params.id) ?? '';
  let app: Application | null = null;
  if (isGuid(key)) {
    const k = key.toLowerCase();
    app = byAppId ? await store.applications.findByAppId(tenant.id, k) : await store.applications.findById(tenant.id, k);
  }
  if (!app) throw new RequestResourceNotFound(key);
  return app;
}

async function listApplications(ctx: GraphContext): Promise<void> {
  demand(hasAnyPermission(ctx.caller, READ_APPLICATIONS));
  const options = readQueryOptions(ctx.request.query, ['$top', '$skiptoken']);
  const top = parseTop(options.$top);
  let after: string | undefined;
  if (options.$skiptoken !== undefined) {
    const position = decodeSkipToken('applications', options.$skiptoken).after;
    if (typeof position !== 'string' || !isGuid(position)) throw new DirectoryExpiredPageToken();
    after = position;
  }
  const rows = await ctx.services.store.applications.list(ctx.services.tenant.id, { limit: top + 1, ...(after ? { after } : {}) });
  const page = rows.slice(0, top);
  const body: Record<string, unknown> = { '@odata.context': `${serviceRoot(ctx)}/$metadata#applications` };
  const last = page[page.length - 1];
  if (rows.length > top && last)
    body['@odata.nextLink'] = nextLink(`${serviceRoot(ctx)}/applications`, options, encodeSkipToken('applications', { after: last.appId }));
  body.value = page.map(applicationJson);
  sendJson(ctx.reply, 200, body);
}

async function getApplication(ctx: GraphContext): Promise<void> {
  demand(hasAnyPermission(ctx.caller, READ_APPLICATIONS));
  const app = await findApplication(ctx);
  sendJson(ctx.reply, 200, { '@odata.context': `${serviceRoot(ctx)}/$metadata#applications/$entity`, ...applicationJson(app) });
}

/** Graph "Create application": 201 with the whole object; appId and id are new GUIDs, apart. */
async function createApplication(ctx: GraphContext): Promise<void> {
  demandAction(ctx, 'createApplication');
  const body = requireJsonObject(ctx.request.body);
  if (body.displayName === undefined) throw invalidValue('displayName');
  const blank: Application = {
    id: newGuid(),
    appId: newGuid(),
    tenantId: ctx.services.tenant.id,
    displayName: '',
    publicClientRedirectUris: [],
    webRedirectUris: [],
    spaRedirectUris: [],
    secrets: [],
    allowPublicClientFlows: false,
    delegatedPermissions: [],
    applicationPermissions: [],
    createdAt: ctx.services.clock.now(),
    backchannelLogout: null,
    directoryRoles: [],
    identifierUris: [],
    api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [] },
    appRoles: [],
    requiredResourceAccess: [],
    resourceGrants: [],
  };
  const app = applicationChanges(body, blank);
  await writeApplication(ctx, 'Add application', app, null);
  const location = `${serviceRoot(ctx)}/applications/${app.id}`;
  ctx.reply.header('location', location);
  sendJson(ctx.reply, 201, { '@odata.context': `${serviceRoot(ctx)}/$metadata#applications/$entity`, ...applicationJson(app) });
}

async function updateApplication(ctx: GraphContext): Promise<void> {
  demandAction(ctx, 'updateApplication');
  const body = requireJsonObject(ctx.request.body);
  const current = await findApplication(ctx);
  await writeApplication(ctx, 'Update application', applicationChanges(body, current), current);
  sendNoContent(ctx.reply);
}

async function deleteApplication(ctx: GraphContext): Promise<void> {
  demandAction(ctx, 'deleteApplication');
  const app = await findApplication(ctx);
  const audit = applicationAudit(
    'Delete application',
    app,
    null,
    auditActor(ctx.caller),
    clientRequestId(ctx.request),
    ctx.services.clock.now(),
  );
  // Entra keeps deleted applications restorable for 30 days; Portcullis deletes at once (docs/graph-api.md).
  if (!(await ctx.services.store.applications.delete(app.tenantId, app.appId, [audit]))) throw new RequestResourceNotFound(app.appId);
  sendNoContent(ctx.reply);
}

// ---------------------------------------------------------------------------------------------
// Secrets

const CREDENTIALS = 'Update application – Certificates and secrets management' as const;

function dateTime(v: unknown, property: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) throw new RequestBadRequest(`Invalid value specified for property '${property}' of resource 'PasswordCredential'.`);
  return t;
}

/** Graph "application: addPassword": the secret text is in this response and nowhere else, ever. */
async function addPassword(ctx: GraphContext): Promise<void> {
  demandAction(ctx, 'updateApplicationCredentials');
  const body = ctx.request.body === undefined ? {} : requireJsonObject(ctx.request.body);
  for (const key of Object.keys(body)) {
    if (key !== 'passwordCredential')
      throw new RequestBadRequest(`Property '${key}' does not exist as a declared property or extension property.`);
  }
  const pc = body.passwordCredential ?? {};
  if (typeof pc !== 'object' || pc === null || Array.isArray(pc))
    throw new RequestBadRequest('The passwordCredential must be a JSON object.');
  const given = pc as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!['displayName', 'startDateTime', 'endDateTime', 'customKeyIdentifier', 'keyId', 'hint', 'secretText'].includes(key))
      throw new RequestBadRequest(`Property '${key}' does not exist as a declared property or extension property.`);
    // Graph generates the secret; a client-chosen one is refused rather than silently replaced.
    if (['keyId', 'hint', 'secretText', 'customKeyIdentifier'].includes(key) && given[key] !== null)
      throw new RequestBadRequest(`Property '${key}' is read-only and cannot be set.`);
  }
  if (given.displayName !== undefined && given.displayName !== null && typeof given.displayName !== 'string')
    throw new RequestBadRequest("Invalid value specified for property 'displayName' of resource 'PasswordCredential'.");
  const now = ctx.services.clock.now();
  const start = dateTime(given.startDateTime, 'startDateTime') ?? now;
  const end = dateTime(given.endDateTime, 'endDateTime') ?? start + DEFAULT_SECRET_LIFETIME_MS;
  if (end <= start) throw new RequestBadRequest("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.");
  const app = await findApplication(ctx);
  const { credential, secretText } = await newPasswordCredential({
    displayName: typeof given.displayName === 'string' ? given.displayName : null,
    startDateTime: start,
    endDateTime: end,
  });
  await writeApplication(ctx, CREDENTIALS, { ...app, secrets: [...app.secrets, credential] }, app);
  sendJson(ctx.reply, 200, {
    '@odata.context': `${serviceRoot(ctx)}/$metadata#microsoft.graph.passwordCredential`,
    customKeyIdentifier: null,
    displayName: credential.displayName,
    endDateTime: new Date(end).toISOString(),
    hint: credential.hint,
    keyId: credential.keyId,
    secretText,
    startDateTime: new Date(start).toISOString(),
  });
}

/** Graph "application: removePassword": 204; the secret stops working on every instance at once. */
async function removePassword(ctx: GraphContext): Promise<void> {
  demandAction(ctx, 'updateApplicationCredentials');
  const body = requireJsonObject(ctx.request.body);
  for (const key of Object.keys(body)) {
    if (key !== 'keyId') throw new RequestBadRequest(`Property '${key}' does not exist as a declared property or extension property.`);
  }
  if (typeof body.keyId !== 'string' || !isGuid(body.keyId))
    throw new RequestBadRequest("Invalid value specified for property 'keyId' of resource 'PasswordCredential'.");
  const keyId = body.keyId.toLowerCase();
  const app = await findApplication(ctx);
  if (!app.secrets.some((s) => s.keyId.toLowerCase() === keyId))
    throw new RequestBadRequest(`No password credential found with keyId '${body.keyId}'.`);
  await writeApplication(ctx, CREDENTIALS, { ...app, secrets: app.secrets.filter((s) => s.keyId.toLowerCase() !== keyId) }, app);
  sendNoContent(ctx.reply);
}

const BY_ID = '/applications/:id';
const BY_APP_ID = "/applications(appId=':appId')";

export const applicationRoutes: readonly GraphRoute[] = [
  { method: 'GET', path: '/applications', handler: listApplications },
  { method: 'POST', path: '/applications', handler: createApplication },
  ...[BY_ID, BY_APP_ID].flatMap((base): GraphRoute[] => [
    { method: 'GET', path: base, handler: getApplication },
    { method: 'PATCH', path: base, handler: updateApplication },
    { method: 'DELETE', path: base, handler: deleteApplication },
    ...actionPaths(base, 'addPassword').map((path): GraphRoute => ({ method: 'POST', path, handler: addPassword })),
    ...actionPaths(base, 'removePassword').map((path): GraphRoute => ({ method: 'POST', path, handler: removePassword })),
  ]),
];
