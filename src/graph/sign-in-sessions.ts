/**
 * The session inventory and targeted revocation on Graph (a documented Portcullis extension,
 * docs/graph-api.md "Sign-in sessions"): `signInSessions` lists the browser SSO sessions and the
 * grants (refresh-token families) that `revokeSignInSessions` would end, and three actions cut
 * some of them. Named after that action because it is the collection it revokes.
 * Authorization: core/authorization/ (listSignInSessions, revokeSelectedSessions,
 * mayListAllSignInSessions), docs/authorization.md.
 */
import { mayAttempt, mayListAllSignInSessions, mayPerform } from '../core/authorization/decide.js';
import type { UserAction } from '../core/authorization/actions.js';
import type { User } from '../core/model.js';
import { describeRecord, type CutFound, type CutTarget, type InventoryEntry } from '../core/session-inventory.js';
import { cutUserSessions, revocationKindOf } from '../core/targeted-revocation.js';
import type { Caller } from './auth.js';
import { actorOf, auditActor, demand, requireDelegated } from './authorize.js';
import { requireJsonObject } from './body.js';
import { DirectoryExpiredPageToken, RequestBadRequest, RequestResourceNotFound } from './errors.js';
import { receiptPath } from './revocation-receipts.js';
import { actionPaths, clientRequestId, sendJson, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { decodeSkipToken, encodeSkipToken, nextLink, parseTop, readQueryOptions } from './odata.js';
import { parseSignInSessionFilter } from './sign-in-session-filter.js';
import { findUserByKey, isGuid } from './user-lookup.js';

const COLLECTION = 'signInSessions';
const iso = (ms: number): string => new Date(ms).toISOString();

/** One entry as Graph shows it; deviceDetail borrows the signIn resource's shape (https://learn.microsoft.com/graph/api/resources/devicedetail). */
export function signInSessionJson(e: InventoryEntry, appDisplayName: string | null = null): Record<string, unknown> {
  return {
    id: e.id,
    kind: e.kind === 'session' ? 'browserSession' : 'refreshTokenGrant',
    userId: e.userId,
    appId: e.clientId,
    appDisplayName,
    sessionId: e.sessionId,
    createdDateTime: iso(e.createdAt),
    lastActivityDateTime: iso(e.lastUsedAt),
    ipAddress: e.clientIp,
    userAgent: e.userAgent,
    deviceDetail: { browser: e.device.browser, operatingSystem: e.device.operatingSystem, displayName: e.device.description },
    signInMethod: e.signInMethod,
    isLive: e.live,
    // Portcullis extension (docs/graph-api.md "Sign-in sessions"): what a grant may do, for My apps.
    scopes: e.scopes,
  };
}

/** The keyset position a $skiptoken carries: the last entry of the previous page. */
function pageAfter(skipToken: string): { createdAt: number; id: string } {
  const { at, id } = decodeSkipToken(COLLECTION, skipToken);
  // Ours carry a millisecond time and a GUID; anything else must not reach the store.
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string' || !isGuid(id)) throw new DirectoryExpiredPageToken();
  return { createdAt: at, id };
}

/**
 * The target of a per-user route: `/me` (delegated only) or `/users/{id | upn}`, checked as Graph
 * orders it: permission first (403 before 404), then the target, then role and target tables.
 */
async function authorizedTarget(ctx: GraphContext, action: UserAction, me: boolean): Promise<User> {
  const self = me ? requireDelegated(ctx.caller) : null;
  const actor = actorOf(ctx.caller);
  demand(mayAttempt(actor, action));
  const target = self ? self.user : await findUserByKey(ctx.services, ctx.params.id ?? '');
  demand(mayPerform(actor, action, { id: target.id, roles: target.roleTemplateIds }));
  return target;
}

async function sendPage(ctx: GraphContext, routeUrl: string, userId: string | undefined): Promise<void> {
  const options = readQueryOptions(ctx.request.query, ['$filter', '$top', '$skiptoken']);
  const top = parseTop(options.$top);
  const filter = options.$filter !== undefined ? parseSignInSessionFilter(options.$filter) : {};
  const after = options.$skiptoken !== undefined ? pageAfter(options.$skiptoken) : undefined;
  const rows = await ctx.services.store.inventory.list({
    tenantId: ctx.services.tenant.id,
    ...(userId !== undefined ? { userId } : {}),
    ...(filter.appId !== undefined ? { appId: filter.appId } : {}),
    ...(filter.isLive !== undefined ? { live: filter.isLive } : {}),
    ...(filter.createdFrom !== undefined ? { createdFrom: filter.createdFrom } : {}),
    ...(filter.createdBefore !== undefined ? { createdBefore: filter.createdBefore } : {}),
    ...(after ? { after } : {}),
    limit: top + 1,
    now: ctx.services.clock.now(),
  });
  const page = rows.slice(0, top);
  const last = page[page.length - 1];
  const body: Record<string, unknown> = { '@odata.context': `${serviceRoot(ctx)}/$metadata#${COLLECTION}` };
  if (rows.length > top && last) {
    body['@odata.nextLink'] = nextLink(routeUrl, options, encodeSkipToken(COLLECTION, { at: last.createdAt, id: last.id }));
  }
  const names = await appNames(ctx, page);
  body.value = page.map((r) => signInSessionJson(describeRecord(r), r.clientId ? (names.get(r.clientId) ?? null) : null));
  sendJson(ctx.reply, 200, body);
}

/** The display names of a page's applications, one lookup per distinct app (a page names few). */
async function appNames(ctx: GraphContext, rows: readonly { clientId: string | null }[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.map((r) => r.clientId).filter((id): id is string => id !== null))];
  const apps = await Promise.all(ids.map((id) => ctx.services.store.applications.findByAppId(ctx.services.tenant.id, id)));
  return new Map(apps.filter((a) => a !== null).map((a) => [a.appId, a.displayName]));
}

function listForUser(me: boolean) {
  return async (ctx: GraphContext): Promise<void> => {
    const target = await authorizedTarget(ctx, 'listSignInSessions', me);
    const path = me ? `/me/${COLLECTION}` : `/users/${encodeURIComponent(ctx.params.id ?? '')}/${COLLECTION}`;
    await sendPage(ctx, `${serviceRoot(ctx)}${path}`, target.id);
  };
}

async function listAll(ctx: GraphContext): Promise<void> {
  demand(mayListAllSignInSessions(actorOf(ctx.caller)));
  await sendPage(ctx, `${serviceRoot(ctx)}/${COLLECTION}`, undefined);
}

/** `dryRun` (optional boolean) of an action body; a body may be absent when nothing else is needed. */
function readDryRun(body: Record<string, unknown>): boolean {
  const v = body.dryRun;
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new RequestBadRequest("The property 'dryRun' must be a boolean.");
  return v;
}

function requireGuidProperty(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || !isGuid(v)) throw new RequestBadRequest(`The property '${name}' must be a GUID.`);
  return v.toLowerCase();
}

/**
 * What a targeted revocation answers: what it cut (or, dry run, would cut) and, when it cut, where
 * its receipt is (docs/receipts.md), keyed by the request's correlation id.
 */
function cutJson(ctx: GraphContext, dryRun: boolean, found: CutFound, correlationId: string): Record<string, unknown> {
  return {
    '@odata.context': `${serviceRoot(ctx)}/$metadata#microsoft.graph.signInSessionRevocation`,
    dryRun,
    sessionCount: found.sessionIds.length,
    grantCount: found.grantIds.length,
    sessionIds: found.sessionIds,
    grantIds: found.grantIds,
    ...(dryRun ? {} : { correlationId, revocationReceipt: receiptPath(serviceRoot(ctx), correlationId) }),
  };
}

/**
 * One targeted revocation as the caller: checks, then the durable cut; answers only after it
 * committed (docs/revocation-model.md, "Targeted revocation").
 */
export async function cutAs(ctx: GraphContext, me: boolean, cutOf: (body: Record<string, unknown>) => CutTarget): Promise<void> {
  const target = await authorizedTarget(ctx, 'revokeSelectedSessions', me);
  const body = ctx.request.body === undefined ? {} : requireJsonObject(ctx.request.body);
  const cut = cutOf(body);
  const dryRun = readDryRun(body);
  const correlationId = clientRequestId(ctx.request, ctx.reply);
  const found = await cutUserSessions(ctx.services.store, ctx.services.clock, {
    target,
    cut,
    dryRun,
    actor: auditActor(ctx.caller as Caller),
    correlationId,
  });
  if (!found) throw new RequestResourceNotFound(target.id); // deleted between lookup and cut
  if (!dryRun) ctx.services.metrics.revoked(revocationKindOf(cut));
  sendJson(ctx.reply, 200, cutJson(ctx, dryRun, found, correlationId));
}

function sessionFromPath(ctx: GraphContext): string {
  const sid = ctx.params.sid ?? '';
  if (!isGuid(sid)) throw new RequestBadRequest(`Invalid object identifier '${sid}'.`);
  return sid.toLowerCase();
}

function routesFor(base: string, me: boolean): GraphRoute[] {
  const collection = `${base}/${COLLECTION}`;
  return [
    { method: 'GET', path: collection, handler: listForUser(me) },
    ...actionPaths(`${collection}/:sid`, 'revoke').map(
      (path): GraphRoute => ({
        method: 'POST',
        path,
        handler: (ctx) => cutAs(ctx, me, () => ({ kind: 'session', sessionId: sessionFromPath(ctx) })),
      }),
    ),
    ...actionPaths(collection, 'revokeForApp').map(
      (path): GraphRoute => ({
        method: 'POST',
        path,
        handler: (ctx) => cutAs(ctx, me, (body) => ({ kind: 'app', appId: requireGuidProperty(body, 'appId') })),
      }),
    ),
    ...actionPaths(collection, 'revokeAllExcept').map(
      (path): GraphRoute => ({
        method: 'POST',
        path,
        handler: (ctx) => cutAs(ctx, me, (body) => ({ kind: 'allExcept', sessionId: requireGuidProperty(body, 'sessionId') })),
      }),
    ),
  ];
}

export const signInSessionRoutes: GraphRoute[] = [
  ...routesFor('/users/:id', false),
  ...routesFor('/me', true),
  { method: 'GET', path: `/${COLLECTION}`, handler: listAll },
];
