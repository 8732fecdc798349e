/**
 * `/groups` (https://learn.microsoft.com/graph/api/resources/group): security groups — list
 * (`$filter` on displayName: eq, startsWith; `$select`; `$count` as an advanced query), get,
 * create, update, delete — and their members (`$select`, `$count`):
 * `/members` (direct), `/transitiveMembers` (nested groups flattened), `POST /members/$ref`,
 * `DELETE /members/{id}/$ref`. Who may do what is core/authorization/group-actions.ts.
 */
import { mayPerformOnGroups, type GroupAction } from '../core/authorization/group-actions.js';
import {
  addGroupMember,
  createGroup,
  deleteGroup,
  isValidGroupMailNickname,
  removeGroupMember,
  updateGroup,
  type GroupChanges,
} from '../core/group-management.js';
import type { Group, GroupMember } from '../core/model.js';
import { actorOf, auditActor, demand } from './authorize.js';
import { requireJsonObject } from './body.js';
import { DirectoryExpiredPageToken, RequestBadRequest, RequestResourceNotFound, RequestUnsupportedQuery } from './errors.js';
import { clientRequestId, sendJson, sendNoContent, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { parseFilter, type FilterNode } from './odata-filter.js';
import { GROUP_PROPERTIES, GROUP_TYPE, groupJson, groupsContext, parseGroupSelect } from './group-resource.js';
import { decodeSkipToken, encodeSkipToken, nextLink, parseSelect, parseTop, readQueryOptions } from './odata.js';
import { isEventual, parseCount } from './user-query.js';
import { isGuid } from './user-lookup.js';
import { USER_PROPERTIES, userJson } from './user-resource.js';
import { SIGN_IN_ACTIVITY } from './sign-in-activity.js';

function allow(ctx: GraphContext, action: GroupAction): void {
  demand(mayPerformOnGroups(actorOf(ctx.caller), action));
}

async function findGroup(ctx: GraphContext, key: string): Promise<Group> {
  if (!isGuid(key)) throw new RequestBadRequest(`Invalid object identifier '${key}'.`);
  const group = await ctx.services.store.groups.findById(ctx.services.tenant.id, key.toLowerCase());
  if (!group) throw new RequestResourceNotFound(key);
  return group;
}

const actionContext = (ctx: GraphContext) => ({ actor: auditActor(ctx.caller), correlationId: clientRequestId(ctx.request, ctx.reply) });

/** $filter on /groups: `displayName eq '…'` or `startsWith(displayName,'…')` (the default-query operators on it). */
function groupFilter(raw: string): { op: 'eq' | 'startsWith'; value: string } {
  const node: FilterNode = parseFilter(raw);
  const onDisplayName = (p: string) => p.toLowerCase() === 'displayname';
  if (node.kind === 'compare' && node.op === 'eq' && onDisplayName(node.property) && node.value.type === 'string')
    return { op: 'eq', value: node.value.value };
  if (node.kind === 'function' && node.name === 'startsWith' && onDisplayName(node.property) && node.value.type === 'string')
    return { op: 'startsWith', value: node.value.value };
  throw new RequestUnsupportedQuery('Unsupported query.');
}

/** The id a $skiptoken of `collection` carries (our tokens hold a GUID; anything else is not ours). */
function pageAfter(collection: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const after = decodeSkipToken(collection, raw).after;
  if (typeof after !== 'string' || !isGuid(after)) throw new DirectoryExpiredPageToken();
  return after;
}

/** The $filter of a list or count, or undefined for every group. */
function displayNameFilter(raw: string | undefined): { op: 'eq' | 'startsWith'; value: string } | undefined {
  const displayName = raw !== undefined ? groupFilter(raw) : undefined;
  if (displayName?.value.includes('\u0000')) throw new RequestBadRequest('Invalid filter clause: the value holds U+0000.');
  return displayName;
}

/**
 * `$count=true` counts only with `ConsistencyLevel: eventual` (an advanced query, as for users:
 * graph/user-query.ts); without the header it is ignored, as Graph does.
 */
const wantsCount = (ctx: GraphContext, raw: string | undefined): boolean => parseCount(raw) && isEventual(ctx.request);

/** `…/$count` segments: text/plain, and only with `ConsistencyLevel: eventual`, as Graph answers them. */
function sendCount(ctx: GraphContext, n: number): void {
  ctx.reply.code(200).header('content-type', 'text/plain').header('odata-version', '4.0').send(String(n));
}

function requireEventual(ctx: GraphContext): void {
  if (!isEventual(ctx.request)) throw new RequestBadRequest('$count is not currently supported.');
}

async function countGroups(ctx: GraphContext): Promise<void> {
  allow(ctx, 'readGroups');
  requireEventual(ctx);
  const options = readQueryOptions(ctx.request.query, ['$filter']);
  const displayName = displayNameFilter(options.$filter);
  sendCount(ctx, await ctx.services.store.groups.count({ tenantId: ctx.services.tenant.id, ...(displayName ? { displayName } : {}) }));
}

async function listGroups(ctx: GraphContext): Promise<void> {
  allow(ctx, 'readGroups');
  const options = readQueryOptions(ctx.request.query, ['$filter', '$top', '$skiptoken', '$select', '$count']);
  const top = parseTop(options.$top);
  const select = parseGroupSelect(options.$select);
  const displayName = displayNameFilter(options.$filter);
  const count = wantsCount(ctx, options.$count);
  const afterId = pageAfter('groups', options.$skiptoken);
  const rows = await ctx.services.store.groups.list({
    tenantId: ctx.services.tenant.id,
    limit: top + 1,
    ...(displayName ? { displayName } : {}),
    ...(afterId ? { afterId } : {}),
  });
  const page = rows.slice(0, top);
  const body: Record<string, unknown> = { '@odata.context': groupsContext(serviceRoot(ctx), select, false) };
  if (count)
    body['@odata.count'] = await ctx.services.store.groups.count({
      tenantId: ctx.services.tenant.id,
      ...(displayName ? { displayName } : {}),
    });
  if (rows.length > top)
    body['@odata.nextLink'] = nextLink(`${serviceRoot(ctx)}/groups`, options, encodeSkipToken('groups', { after: page.at(-1)!.id }));
  body.value = page.map((g) => groupJson(g, select));
  sendJson(ctx.reply, 200, body);
}

async function getGroup(ctx: GraphContext): Promise<void> {
  allow(ctx, 'readGroups');
  const select = parseGroupSelect(readQueryOptions(ctx.request.query, ['$select']).$select);
  const group = await findGroup(ctx, ctx.params.id ?? '');
  sendJson(ctx.reply, 200, { '@odata.context': groupsContext(serviceRoot(ctx), select, true), ...groupJson(group, select) });
}

const invalidValue = (property: string) => new RequestBadRequest(`Invalid value specified for property '${property}' of resource 'Group'.`);

function text(body: Record<string, unknown>, property: string, required: boolean): string | undefined {
  const v = body[property];
  if (v === undefined || v === null) {
    if (required) throw new RequestBadRequest(`Property ${property} value is required but is empty or missing.`);
    return undefined;
  }
  // Bounded, and no lone surrogate or U+0000 (PostgreSQL text cannot hold it).
  if (typeof v !== 'string' || v.length === 0 || v.length > 256 || /\p{Cs}|\u0000/u.test(v)) throw invalidValue(property);
  return v;
}

function nickname(body: Record<string, unknown>, required: boolean): string | undefined {
  const v = text(body, 'mailNickname', required);
  if (v !== undefined && !isValidGroupMailNickname(v)) throw invalidValue('mailNickname');
  return v;
}

/**
 * POST /groups: security groups only (`securityEnabled: true`, `mailEnabled: false`, no
 * `groupTypes`); Microsoft 365 groups, role-assignable groups and `members@odata.bind` are refused.
 */
async function postGroup(ctx: GraphContext): Promise<void> {
  allow(ctx, 'createGroup');
  const body = requireJsonObject(ctx.request.body);
  const known = ['displayName', 'mailNickname', 'mailEnabled', 'securityEnabled', 'description', 'groupTypes', 'isAssignableToRole'];
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.type')) continue;
    if (!known.includes(key)) throw new RequestBadRequest(`Property '${key}' is not supported by Portcullis.`);
  }
  const displayName = text(body, 'displayName', true)!;
  const mailNickname = nickname(body, true)!;
  const description = text(body, 'description', false) ?? null;
  if (body.securityEnabled !== true)
    throw new RequestBadRequest("Portcullis supports security groups only: 'securityEnabled' must be true.");
  if (body.mailEnabled !== false) throw new RequestBadRequest("Portcullis supports security groups only: 'mailEnabled' must be false.");
  if (body.groupTypes !== undefined && !(Array.isArray(body.groupTypes) && body.groupTypes.length === 0)) throw invalidValue('groupTypes');
  if (body.isAssignableToRole !== undefined && body.isAssignableToRole !== false && body.isAssignableToRole !== null) {
    throw new RequestBadRequest('Role-assignable groups are not supported by Portcullis.');
  }
  const group = await createGroup(ctx.services, { displayName, mailNickname, description }, actionContext(ctx));
  ctx.reply.header('location', `${serviceRoot(ctx)}/groups/${group.id}`);
  sendJson(ctx.reply, 201, { '@odata.context': `${serviceRoot(ctx)}/$metadata#groups/$entity`, ...groupJson(group) });
}

/**
 * PATCH /groups/{id} (https://learn.microsoft.com/graph/api/group-update): displayName,
 * description (null clears it) and mailNickname; 204 without a body, as Graph answers. The other
 * group properties Portcullis fixes (security groups only) are refused as in POST.
 */
async function patchGroup(ctx: GraphContext): Promise<void> {
  allow(ctx, 'updateGroup');
  const group = await findGroup(ctx, ctx.params.id ?? '');
  const body = requireJsonObject(ctx.request.body);
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.type')) continue;
    if (!['displayName', 'description', 'mailNickname'].includes(key))
      throw new RequestBadRequest(`Property '${key}' is not supported by Portcullis.`);
  }
  if (body.displayName === null) throw invalidValue('displayName');
  if (body.mailNickname === null) throw invalidValue('mailNickname');
  const changes: GroupChanges = {};
  const displayName = text(body, 'displayName', false);
  const mailNickname = nickname(body, false);
  if (displayName !== undefined) changes.displayName = displayName;
  if (mailNickname !== undefined) changes.mailNickname = mailNickname;
  if (body.description === null) changes.description = null;
  else {
    const description = text(body, 'description', false);
    if (description !== undefined) changes.description = description;
  }
  if (!(await updateGroup(ctx.services, group, changes, actionContext(ctx)))) throw new RequestResourceNotFound(ctx.params.id ?? group.id);
  sendNoContent(ctx.reply);
}

async function removeGroup(ctx: GraphContext): Promise<void> {
  allow(ctx, 'deleteGroup');
  const group = await findGroup(ctx, ctx.params.id ?? '');
  if (!(await deleteGroup(ctx.services, group, actionContext(ctx)))) throw new RequestResourceNotFound(ctx.params.id ?? group.id);
  sendNoContent(ctx.reply);
}

/** What $select may name on members: a user's or a group's properties (a directoryObject is either). */
const MEMBER_PROPERTIES = [...new Set([...USER_PROPERTIES.filter((p) => p !== SIGN_IN_ACTIVITY), ...GROUP_PROPERTIES])];

/**
 * directoryObject JSON of members: users and groups with their `@odata.type`, as Graph lists them;
 * with `select`, each with the selected properties its type has.
 */
async function memberJson(ctx: GraphContext, members: GroupMember[], select: readonly string[] | null): Promise<Record<string, unknown>[]> {
  const userSelect = select?.filter((p) => USER_PROPERTIES.includes(p)) ?? null;
  const groupSelect = select?.filter((p) => GROUP_PROPERTIES.includes(p)) ?? null;
  const tenantId = ctx.services.tenant.id;
  const users = new Map(
    (
      await ctx.services.store.users.findByIds(
        tenantId,
        members.filter((m) => m.kind === 'user').map((m) => m.id),
      )
    ).map((u) => [u.id, u]),
  );
  const out: Record<string, unknown>[] = [];
  for (const m of members) {
    if (m.kind === 'user') {
      const u = users.get(m.id);
      if (u) out.push({ '@odata.type': '#microsoft.graph.user', ...userJson(u, { select: userSelect, basicOnly: false }) });
    } else {
      const g = await ctx.services.store.groups.findById(tenantId, m.id);
      if (g) out.push({ '@odata.type': `#${GROUP_TYPE}`, ...groupJson(g, groupSelect) });
    }
  }
  return out;
}

function listMembers(kind: 'members' | 'transitiveMembers') {
  return async (ctx: GraphContext): Promise<void> => {
    allow(ctx, 'readMembers');
    const options = readQueryOptions(ctx.request.query, ['$top', '$skiptoken', '$select', '$count']);
    const top = parseTop(options.$top);
    const select = parseSelect(options.$select, MEMBER_PROPERTIES, 'microsoft.graph.directoryObject');
    const count = wantsCount(ctx, options.$count);
    const group = await findGroup(ctx, ctx.params.id ?? '');
    const afterId = pageAfter(kind, options.$skiptoken);
    const page = { limit: top + 1, ...(afterId ? { afterId } : {}) };
    const store = ctx.services.store.groups;
    const rows = kind === 'members' ? await store.members(group.id, page) : await store.transitiveMembers(group.id, page);
    const members = rows.slice(0, top);
    const projection = select ? `(${select.join(',')})` : '';
    const body: Record<string, unknown> = { '@odata.context': `${serviceRoot(ctx)}/$metadata#directoryObjects${projection}` };
    if (count) body['@odata.count'] = await store.memberCount(group.id, kind === 'transitiveMembers');
    if (rows.length > top) {
      body['@odata.nextLink'] = nextLink(
        `${serviceRoot(ctx)}/groups/${group.id}/${kind}`,
        options,
        encodeSkipToken(kind, { after: members.at(-1)!.id }),
      );
    }
    body.value = await memberJson(ctx, members, select);
    sendJson(ctx.reply, 200, body);
  };
}

function countMembers(kind: 'members' | 'transitiveMembers') {
  return async (ctx: GraphContext): Promise<void> => {
    allow(ctx, 'readMembers');
    requireEventual(ctx);
    readQueryOptions(ctx.request.query, []);
    const group = await findGroup(ctx, ctx.params.id ?? '');
    sendCount(ctx, await ctx.services.store.groups.memberCount(group.id, kind === 'transitiveMembers'));
  };
}

/** The object an `@odata.id` names: `…/directoryObjects/{id}`, `…/users/{id}` or `…/groups/{id}`. */
async function referencedMember(ctx: GraphContext, group: Group): Promise<GroupMember> {
  const body = requireJsonObject(ctx.request.body);
  const ref = body['@odata.id'];
  if (typeof ref !== 'string') throw new RequestBadRequest("Property '@odata.id' value is required but is empty or missing.");
  const m = /\/(directoryObjects|users|groups)\/([0-9a-fA-F-]{36})$/.exec(ref);
  if (!m || !isGuid(m[2]!)) throw new RequestBadRequest(`Invalid object identifier '${ref.slice(0, 200)}'.`);
  const id = m[2]!.toLowerCase();
  const tenantId = ctx.services.tenant.id;
  if (m[1] !== 'groups' && (await ctx.services.store.users.findById(tenantId, id))) return { id, kind: 'user' };
  if (m[1] !== 'users' && (await ctx.services.store.groups.findById(tenantId, id))) {
    if (id === group.id) throw new RequestBadRequest('A group cannot be a member of itself.');
    return { id, kind: 'group' };
  }
  throw new RequestResourceNotFound(id);
}

async function addMember(ctx: GraphContext): Promise<void> {
  allow(ctx, 'updateMembers');
  const group = await findGroup(ctx, ctx.params.id ?? '');
  const member = await referencedMember(ctx, group);
  if (!(await addGroupMember(ctx.services, group, member, actionContext(ctx)))) {
    throw new RequestBadRequest("One or more added object references already exist for the following modified properties: 'members'.");
  }
  sendNoContent(ctx.reply);
}

async function removeMember(ctx: GraphContext): Promise<void> {
  allow(ctx, 'updateMembers');
  const group = await findGroup(ctx, ctx.params.id ?? '');
  const memberId = (ctx.params.memberId ?? '').toLowerCase();
  if (!isGuid(memberId)) throw new RequestBadRequest(`Invalid object identifier '${ctx.params.memberId}'.`);
  const isUser = (await ctx.services.store.users.findById(ctx.services.tenant.id, memberId)) !== null;
  const removed = await removeGroupMember(ctx.services, group, { id: memberId, kind: isUser ? 'user' : 'group' }, actionContext(ctx));
  if (!removed) throw new RequestResourceNotFound(memberId);
  sendNoContent(ctx.reply);
}

export const groupRoutes: GraphRoute[] = [
  { method: 'GET', path: '/groups', handler: listGroups },
  { method: 'GET', path: '/groups/$count', handler: countGroups },
  { method: 'POST', path: '/groups', handler: postGroup },
  { method: 'GET', path: '/groups/:id', handler: getGroup },
  { method: 'PATCH', path: '/groups/:id', handler: patchGroup },
  { method: 'DELETE', path: '/groups/:id', handler: removeGroup },
  { method: 'GET', path: '/groups/:id/members', handler: listMembers('members') },
  { method: 'GET', path: '/groups/:id/transitiveMembers', handler: listMembers('transitiveMembers') },
  { method: 'GET', path: '/groups/:id/members/$count', handler: countMembers('members') },
  { method: 'GET', path: '/groups/:id/transitiveMembers/$count', handler: countMembers('transitiveMembers') },
  { method: 'POST', path: '/groups/:id/members/$ref', handler: addMember },
  { method: 'DELETE', path: '/groups/:id/members/:memberId/$ref', handler: removeMember },
];
