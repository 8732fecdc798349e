/**
 * `/users` and `/users/{id | userPrincipalName}`: list (with $filter, $search, $orderby, $count,
 * $select, $top and keyset paging), count, get, create, update and delete. The rules of the directory are in
 * core/user-management.ts; this file checks permissions, the JSON shape, and maps rule
 * violations to Graph's messages.
 */
import { createUser, deleteUser, updateUser, UserRuleError, type UserChanges, type UserRuleViolation } from '../core/user-management.js';
import type { UserAction } from '../core/authorization/actions.js';
import { mayAttempt, mayCreateUsers, mayPerform, type Actor } from '../core/authorization/decide.js';
import type { User } from '../core/model.js';
import type { UserOrderColumn } from '../store/store.js';
import type { Caller } from './auth.js';
import { actorOf, auditActor, demand, hasAnyPermission, hasAnyScope, type PermissionSet } from './authorize.js';
import { requireJsonObject } from './body.js';
import { DirectoryExpiredPageToken, RequestBadRequest, RequestResourceNotFound } from './errors.js';
import { clientRequestId, sendJson, sendNoContent, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { decodeSkipToken, encodeSkipToken, nextLink, parseSelect, parseTop, readQueryOptions } from './odata.js';
import { SIGN_IN_ACTIVITY, selectedActivity } from './sign-in-activity.js';
import { isEventual, readUserQuery } from './user-query.js';
import { findUserByKey, isGuid } from './user-lookup.js';
import { USER_PROPERTIES, USER_TYPE, userJson, usersContext } from './user-resource.js';

/** Graph "List users" / "Get user" permission tables. Any member user may read the directory. */
export const READ_USERS: PermissionSet = {
  delegated: ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  application: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
};
/** Reading oneself through /users/{own id} (as /me) also works with User.Read. */
export const READ_SELF_SCOPES = ['User.Read', 'User.ReadWrite'];

/** True when the caller holds only User.ReadBasic.All among the read permissions. */
function readsBasicOnly(caller: Caller, target: User): boolean {
  if (caller.kind !== 'delegated' || target.id === caller.user.id) return false;
  return !hasAnyScope(
    caller,
    READ_USERS.delegated.filter((s) => s !== 'User.ReadBasic.All'),
  );
}

// ---------------------------------------------------------------------------------------------
// Reading

const LIST_OPTIONS = ['$select', '$filter', '$search', '$orderby', '$count', '$top', '$skiptoken'] as const;

/**
 * `GET /users`: $filter, $search, $orderby, $count (graph/user-query.ts has Graph's rules),
 * $select, $top and keyset paging: the $skiptoken carries the last user's sort value and id.
 */
async function listUsers(ctx: GraphContext): Promise<void> {
  demand(hasAnyPermission(ctx.caller, READ_USERS));
  const options = readQueryOptions(ctx.request.query, LIST_OPTIONS);
  const select = parseSelect(options.$select, USER_PROPERTIES, USER_TYPE, [SIGN_IN_ACTIVITY]);
  const top = parseTop(options.$top);
  const query = readUserQuery(ctx.request, options);
  const { store, tenant } = ctx.services;

  const position = options.$skiptoken !== undefined ? pageAfter(options.$skiptoken, query.orderBy) : {};
  const rows = await store.users.list({
    tenantId: tenant.id,
    limit: top + 1,
    ...(query.where ? { where: query.where } : {}),
    ...(query.orderBy ? { orderBy: query.orderBy } : {}),
    ...position,
  });
  const more = rows.length > top;
  const page = rows.slice(0, top);

  const body: Record<string, unknown> = { '@odata.context': usersContext(serviceRoot(ctx), select, false) };
  if (query.count) body['@odata.count'] = await store.users.count(tenant.id, query.where);
  const last = page[page.length - 1];
  if (more && last) body['@odata.nextLink'] = nextLink(`${serviceRoot(ctx)}/users`, options, skipTokenAfter(last, query.orderBy));
  const activity = await selectedActivity(ctx, select, page);
  body.value = page.map((u) => userJson(u, { select, basicOnly: readsBasicOnly(ctx.caller, u), activity }));
  sendJson(ctx.reply, 200, body);
}

/**
 * `GET /users/$count`: the number of users (matching $filter / $search) as text/plain. Graph
 * answers it only with `ConsistencyLevel: eventual`.
 */
async function countUsers(ctx: GraphContext): Promise<void> {
  demand(hasAnyPermission(ctx.caller, READ_USERS));
  if (!isEventual(ctx.request)) throw new RequestBadRequest('$count is not currently supported.');
  const options = readQueryOptions(ctx.request.query, ['$filter', '$search']);
  const query = readUserQuery(ctx.request, options, true);
  const n = await ctx.services.store.users.count(ctx.services.tenant.id, query.where);
  ctx.reply.code(200).header('content-type', 'text/plain').header('odata-version', '4.0').send(String(n));
}

type SortKey = { column: UserOrderColumn; descending: boolean } | undefined;

const SORT_VALUE: Record<UserOrderColumn, (u: User) => string | number> = {
  displayName: (u) => u.displayName,
  userPrincipalName: (u) => u.userPrincipalName,
  createdDateTime: (u) => u.createdAt,
};

const orderName = (order: SortKey): string => (order ? `${order.column} ${order.descending ? 'desc' : 'asc'}` : 'id');

function skipTokenAfter(last: User, order: SortKey): string {
  if (!order) return encodeSkipToken('users', { after: last.id });
  return encodeSkipToken('users', { after: last.id, o: orderName(order), k: SORT_VALUE[order.column](last) });
}

/** The keyset position a users $skiptoken carries: the last id (and sort value) of the previous page. */
function pageAfter(skipToken: string, order: SortKey): { afterId: string } | { after: { key: string | number; id: string } } {
  const p = decodeSkipToken('users', skipToken);
  // Our tokens carry a user id (a GUID); anything else is not ours (a NUL in it failed the
  // PostgreSQL query with 500; found by fuzzing).
  if (typeof p.after !== 'string' || !isGuid(p.after)) throw new DirectoryExpiredPageToken();
  if (!order) {
    if (p.o !== undefined) throw new DirectoryExpiredPageToken();
    return { afterId: p.after };
  }
  // A token of another order (or one whose key is of the wrong type) is not a position here.
  const keyType = order.column === 'createdDateTime' ? 'number' : 'string';
  if (p.o !== orderName(order) || typeof p.k !== keyType || (typeof p.k === 'string' && p.k.includes('\u0000'))) {
    throw new DirectoryExpiredPageToken();
  }
  return { after: { key: p.k as string | number, id: p.after } };
}

async function getUser(ctx: GraphContext): Promise<void> {
  const { caller } = ctx;
  const selfScopes = caller.kind === 'delegated' && hasAnyScope(caller, READ_SELF_SCOPES);
  demand(hasAnyPermission(caller, READ_USERS) || selfScopes);
  const options = readQueryOptions(ctx.request.query, ['$select']);
  const select = parseSelect(options.$select, USER_PROPERTIES, USER_TYPE, [SIGN_IN_ACTIVITY]);
  const target = await findUserByKey(ctx.services, ctx.params.id ?? '');
  if (!hasAnyPermission(caller, READ_USERS)) demand(caller.kind === 'delegated' && target.id === caller.user.id);
  sendJson(ctx.reply, 200, {
    '@odata.context': usersContext(serviceRoot(ctx), select, true),
    ...userJson(target, { select, basicOnly: readsBasicOnly(caller, target), activity: await selectedActivity(ctx, select, [target]) }),
  });
}

// ---------------------------------------------------------------------------------------------
// Writing: body shape

/** Properties of microsoft.graph.user that Portcullis does not store: refused, never silently dropped. */
const UNSUPPORTED_USER_PROPERTIES = new Set(
  [
    'businessPhones',
    'givenName',
    'surname',
    'jobTitle',
    'mobilePhone',
    'officeLocation',
    'preferredLanguage',
    'usageLocation',
    'department',
    'companyName',
    'city',
    'country',
    'state',
    'streetAddress',
    'postalCode',
    'employeeId',
    'otherMails',
    'passwordPolicies',
    'userType',
    'onPremisesImmutableId',
    'identities',
    'ageGroup',
    'birthday',
    'aboutMe',
    'faxNumber',
    'employeeType',
    'employeeHireDate',
    'proxyAddresses',
    'showInAddressList',
  ].map((p) => p.toLowerCase()),
);

function checkKnownProperties(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.')) continue; // e.g. "@odata.type": "#microsoft.graph.user" from SDKs
    if (allowed.includes(key)) continue;
    if (UNSUPPORTED_USER_PROPERTIES.has(key.toLowerCase())) {
      throw new RequestBadRequest(`Property '${key}' is not supported by Portcullis.`);
    }
    throw new RequestBadRequest(
      `The property '${key}' does not exist on type '${USER_TYPE}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
    );
  }
}

const invalidValue = (property: string): RequestBadRequest =>
  new RequestBadRequest(`Invalid value specified for property '${property}' of resource 'User'.`);

/**
 * A lone UTF-16 surrogate (a `\ud800` escape JSON.parse keeps as is) is no Unicode text
 * (RFC 8259 §8.2): refused rather than stored, or replaced by U+FFFD somewhere downstream.
 */
const hasLoneSurrogate = (v: string): boolean => /\p{Cs}/u.test(v);

function optionalString(body: Record<string, unknown>, property: string): string | undefined {
  const v = body[property];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || hasLoneSurrogate(v)) throw invalidValue(property);
  return v;
}

function optionalBoolean(body: Record<string, unknown>, property: string): boolean | undefined {
  const v = body[property];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalidValue(property);
  return v;
}

function required<T>(value: T | undefined, property: string): T {
  if (value === undefined || value === '') {
    throw new RequestBadRequest(`Property ${property} value is required but is empty or missing.`);
  }
  return value;
}

/**
 * passwordProfile {password, forceChangePasswordNextSignIn?, forceChangePasswordNextSignInWithMfa?}.
 * The force-change flags are accepted and not enforced (docs/graph-api.md).
 */
function readPasswordProfile(body: Record<string, unknown>): string | undefined {
  const profile = body.passwordProfile;
  if (profile === undefined) return undefined;
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) throw invalidValue('passwordProfile');
  const p = profile as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!['password', 'forceChangePasswordNextSignIn', 'forceChangePasswordNextSignInWithMfa'].includes(key)) {
      throw new RequestBadRequest(`The property '${key}' does not exist on type 'microsoft.graph.passwordProfile'.`);
    }
  }
  optionalBoolean(p, 'forceChangePasswordNextSignIn');
  optionalBoolean(p, 'forceChangePasswordNextSignInWithMfa');
  return required(optionalString(p, 'password'), 'passwordProfile.password');
}

/** Graph's messages for the directory's rules (https://learn.microsoft.com/graph/errors and the user-post-users page). */
export function ruleViolation(v: UserRuleViolation): RequestBadRequest {
  switch (v.kind) {
    case 'upn_domain':
      return new RequestBadRequest(
        'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
      );
    case 'password_complexity':
      return new RequestBadRequest(
        'The specified password does not comply with password complexity requirements. Please provide a different password.',
      );
    case 'duplicate_upn':
      return new RequestBadRequest('Another object with the same value for property userPrincipalName already exists.', [
        { target: 'userPrincipalName', code: 'ObjectConflict' },
      ]);
    case 'invalid_value':
      return invalidValue(v.property);
  }
}

async function withRuleErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof UserRuleError) throw ruleViolation(e.violation);
    throw e;
  }
}

const actionContext = (ctx: GraphContext) => ({ actor: auditActor(ctx.caller), correlationId: clientRequestId(ctx.request, ctx.reply) });

/**
 * Each change a PATCH asks for is a separate action, and each must be allowed on its own
 * (core/authorization/: a role that holds the permission AND may act on the target).
 */
function requestedActions(changes: UserChanges): UserAction[] {
  const actions: UserAction[] = [];
  if (changes.displayName !== undefined) actions.push('updateBasic');
  if (changes.userPrincipalName !== undefined) actions.push('updateUserPrincipalName');
  if (changes.accountEnabled !== undefined) actions.push(changes.accountEnabled ? 'enable' : 'disable');
  if (changes.password !== undefined) actions.push('resetPassword');
  // An empty PATCH changes nothing, but still needs the right to write this user.
  return actions.length > 0 ? actions : ['updateBasic'];
}

function demandMay(actor: Actor, actions: readonly UserAction[], target: User): void {
  for (const action of actions) demand(mayPerform(actor, action, { id: target.id, roles: target.roleTemplateIds }));
}

// ---------------------------------------------------------------------------------------------
// Writing: handlers

async function postUser(ctx: GraphContext): Promise<void> {
  demand(mayCreateUsers(actorOf(ctx.caller)));
  const body = requireJsonObject(ctx.request.body);
  checkKnownProperties(body, ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile', 'mail']);
  const accountEnabled = required(optionalBoolean(body, 'accountEnabled'), 'accountEnabled');
  const displayName = required(optionalString(body, 'displayName'), 'displayName');
  const mailNickname = required(optionalString(body, 'mailNickname'), 'mailNickname');
  const userPrincipalName = required(optionalString(body, 'userPrincipalName'), 'userPrincipalName');
  const password = required(readPasswordProfile(body), 'passwordProfile');
  const mail = body.mail === null ? null : optionalString(body, 'mail');

  const user = await withRuleErrors(
    createUser(
      ctx.services,
      { accountEnabled, displayName, mailNickname, userPrincipalName, password, ...(mail !== undefined ? { mail } : {}) },
      actionContext(ctx),
    ),
  );
  ctx.reply.header('location', `${serviceRoot(ctx)}/users/${user.id}`);
  sendJson(ctx.reply, 201, {
    '@odata.context': usersContext(serviceRoot(ctx), null, true),
    ...userJson(user, { select: null, basicOnly: false }),
  });
}

async function patchUser(ctx: GraphContext): Promise<void> {
  const actor = actorOf(ctx.caller);
  // Basic updates share their permissions with disable/enable/delete/UPN; a password reset may
  // come with User-PasswordProfile.ReadWrite.All alone.
  demand(mayAttempt(actor, 'updateBasic') || mayAttempt(actor, 'resetPassword'));
  const target = await findUserByKey(ctx.services, ctx.params.id ?? '');
  const body = requireJsonObject(ctx.request.body);
  checkKnownProperties(body, ['displayName', 'userPrincipalName', 'accountEnabled', 'passwordProfile']);
  const changes: UserChanges = {};
  const displayName = optionalString(body, 'displayName');
  const userPrincipalName = optionalString(body, 'userPrincipalName');
  const accountEnabled = optionalBoolean(body, 'accountEnabled');
  const password = readPasswordProfile(body);
  if (displayName !== undefined) changes.displayName = displayName;
  if (userPrincipalName !== undefined) changes.userPrincipalName = userPrincipalName;
  if (accountEnabled !== undefined) changes.accountEnabled = accountEnabled;
  if (password !== undefined) changes.password = password;

  demandMay(actor, requestedActions(changes), target);
  const updated = await withRuleErrors(updateUser(ctx.services, target, changes, actionContext(ctx)));
  if (!updated) throw new RequestResourceNotFound(ctx.params.id ?? target.id);
  sendNoContent(ctx.reply);
}

async function removeUser(ctx: GraphContext): Promise<void> {
  const actor = actorOf(ctx.caller);
  demand(mayAttempt(actor, 'delete'));
  const target = await findUserByKey(ctx.services, ctx.params.id ?? '');
  demandMay(actor, ['delete'], target);
  const deleted = await deleteUser(ctx.services, target, actionContext(ctx));
  if (!deleted) throw new RequestResourceNotFound(ctx.params.id ?? target.id);
  sendNoContent(ctx.reply);
}

export const userRoutes: GraphRoute[] = [
  { method: 'GET', path: '/users', handler: listUsers },
  { method: 'GET', path: '/users/$count', handler: countUsers },
  { method: 'POST', path: '/users', handler: postUser },
  { method: 'GET', path: '/users/:id', handler: getUser },
  { method: 'PATCH', path: '/users/:id', handler: patchUser },
  { method: 'DELETE', path: '/users/:id', handler: removeUser },
];
