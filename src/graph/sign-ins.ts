/**
 * `GET /auditLogs/signIns` and `GET /auditLogs/signIns/{id}` (https://learn.microsoft.com/graph/api/signin-list):
 * the sign-in log, newest first, 1000 entries a page at most, keyset paging with $skiptoken.
 * v1.0 lists interactive sign-ins only, as Graph; beta reaches the others with
 * `$filter=signInEventTypes/any(t: t eq 'nonInteractiveUser')` (refresh-token redemptions) or
 * `… eq 'servicePrincipal'` (client-credentials requests). v1.0 never returns a service principal
 * sign-in, not even by id. Who may read it: core/authorization/log-readers.ts.
 */
import { mayReadLog } from '../core/authorization/log-readers.js';
import { actorOf, demand } from './authorize.js';
import { DirectoryExpiredPageToken, RequestResourceNotFound } from './errors.js';
import { sendJson, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { decodeSkipToken, encodeSkipToken, nextLink, parseTop, readQueryOptions } from './odata.js';
import { parseSignInFilter } from './sign-in-filter.js';
import { signInJson } from './sign-in-resource.js';
import { isGuid } from './user-lookup.js';

/** Graph's default and largest page of signIns. */
const MAX_PAGE = 1000;

function pageBefore(skipToken: string): { at: number; id: string } {
  const { at, id } = decodeSkipToken('signIns', skipToken);
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string' || !isGuid(id)) throw new DirectoryExpiredPageToken();
  return { at, id };
}

async function listSignIns(ctx: GraphContext): Promise<void> {
  demand(mayReadLog(actorOf(ctx.caller), 'readSignIns'));
  const options = readQueryOptions(ctx.request.query, ['$filter', '$top', '$skiptoken']);
  const top = parseTop(options.$top, MAX_PAGE, MAX_PAGE);
  const filter = parseSignInFilter(options.$filter, ctx.version);
  const before = options.$skiptoken !== undefined ? pageBefore(options.$skiptoken) : undefined;
  // This instance's own recent sign-ins are readable at once; other instances' within their flush interval.
  await ctx.services.signIns.flush();
  const rows = await ctx.services.store.signIns.list({
    tenantId: ctx.services.tenant.id,
    ...filter,
    eventType: filter.eventType ?? 'interactiveUser',
    limit: top + 1,
    ...(before ? { before } : {}),
  });
  const page = rows.slice(0, top);
  const last = page[page.length - 1];
  const root = serviceRoot(ctx);
  const body: Record<string, unknown> = { '@odata.context': `${root}/$metadata#auditLogs/signIns` };
  if (rows.length > top && last) {
    body['@odata.nextLink'] = nextLink(
      `${root}/auditLogs/signIns`,
      options,
      encodeSkipToken('signIns', { at: last.createdAt, id: last.id }),
    );
  }
  body.value = page.map((e) => signInJson(e, ctx.version));
  sendJson(ctx.reply, 200, body);
}

async function getSignIn(ctx: GraphContext): Promise<void> {
  demand(mayReadLog(actorOf(ctx.caller), 'readSignIns'));
  readQueryOptions(ctx.request.query, []);
  const id = ctx.params.id ?? '';
  await ctx.services.signIns.flush();
  const entry = isGuid(id) ? await ctx.services.store.signIns.findById(ctx.services.tenant.id, id.toLowerCase()) : null;
  // v1.0's signIn has no service principal sign-ins (nor the properties that describe them).
  if (!entry || (entry.servicePrincipal && ctx.version !== 'beta')) throw new RequestResourceNotFound(id.slice(0, 100));
  sendJson(ctx.reply, 200, {
    '@odata.context': `${serviceRoot(ctx)}/$metadata#auditLogs/signIns/$entity`,
    ...signInJson(entry, ctx.version),
  });
}

export const signInRoutes: GraphRoute[] = [
  { method: 'GET', path: '/auditLogs/signIns', handler: listSignIns },
  { method: 'GET', path: '/auditLogs/signIns/:id', handler: getSignIn },
];
