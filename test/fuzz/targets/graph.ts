import { damageRequest, wireHeaderValue, wirePath } from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { damageText, guid, jsonValue, mutateJson, nastyString, randomString, pct } from '../lib/values.js';

const USER_PROPERTIES = [
  'id',
  'displayName',
  'userPrincipalName',
  'mail',
  'accountEnabled',
  'givenName',
  'surname',
  'signInSessionsValidFromDateTime',
  'createdDateTime',
  'mailNickname',
  'nope',
];
const AUDIT_PROPERTIES = ['activityDisplayName', 'category', 'activityDateTime', 'result', 'initiatedBy', 'correlationId'];
/** What the session inventory's and the receipts' $filter take (sign-in-session-filter.ts, revocation-receipts.ts), and more. */
const SESSION_FILTER_PROPERTIES = ['appId', 'isLive', 'createdDateTime', 'lastUsedDateTime', 'userId', 'kind'];
const RECEIPT_FILTER_PROPERTIES = ['userId', 'correlationId', 'revokedDateTime', 'revocationType'];
const GROUP_PROPERTIES = ['id', 'displayName', 'description', 'mailNickname', 'securityEnabled', 'userPrincipalName', 'nope'];

/**
 * The `{id | userPrincipalName}` segment: a target user, an unknown id, junk, or an encoded UPN.
 * The token holder (the Global Administrator) is not a target, so disabling, resetting or
 * deleting users never ends the run's own credentials.
 */
function userKey(rng: Rng, ctx: FuzzContext): string {
  return rng.weighted<() => string>([
    [4, () => rng.pick(ctx.targetUsers).id],
    [2, () => pct(rng.pick(ctx.targetUsers).upn)],
    [1, () => rng.pick(ctx.targetUsers).upn.toUpperCase()],
    [1, () => guid(rng)],
    [2, () => pct(nastyString(rng).slice(0, 2000))],
    [0.5, () => `'${rng.pick(ctx.targetUsers).upn}'`],
  ])();
}

/** A path under a version root, from the route grammar (resources, actions, case variants) or junk. */
export function graphPath(rng: Rng, ctx: FuzzContext): string {
  const action = () =>
    rng.pick([
      'revokeSignInSessions',
      'invalidateAllRefreshTokens',
      'microsoft.graph.revokeSignInSessions',
      'microsoft.graph.invalidateAllRefreshTokens',
      'RevokeSignInSessions',
      'changePassword',
      '$ref',
    ]);
  return rng.weighted<() => string>([
    [4, () => 'users'],
    [4, () => `users/${userKey(rng, ctx)}`],
    [3, () => `users/${userKey(rng, ctx)}/${action()}`],
    [2, () => `me${rng.chance(0.5) ? `/${action()}` : ''}`],
    [2, () => 'auditLogs/directoryAudits'],
    [2, () => `auditLogs/signIns${rng.chance(0.3) ? `/${rng.chance(0.5) ? guid(rng) : nastyString(rng)}` : ''}`],
    // The session inventory, its targeted revokes, and the receipts they leave.
    [
      3,
      () =>
        rng.pick([
          `users/${userKey(rng, ctx)}/signInSessions`,
          'me/signInSessions',
          'signInSessions',
          `users/${userKey(rng, ctx)}/signInSessions/${rng.chance(0.7) ? guid(rng) : pct(nastyString(rng).slice(0, 60))}/revoke`,
          `me/signInSessions/${guid(rng)}/revoke`,
          `users/${userKey(rng, ctx)}/signInSessions/revokeForApp`,
          `users/${userKey(rng, ctx)}/signInSessions/revokeAllExcept`,
          `me/signInSessions/${rng.pick(['revokeForApp', 'revokeAllExcept'])}`,
        ]),
    ],
    [
      2,
      () => `auditLogs/revocationReceipts${rng.chance(0.4) ? `/${rng.chance(0.5) ? guid(rng) : pct(nastyString(rng).slice(0, 80))}` : ''}`,
    ],
    [
      2,
      () =>
        rng.pick([
          'groups',
          `groups/${guid(rng)}`,
          `groups/${guid(rng)}/members`,
          `groups/${guid(rng)}/transitiveMembers`,
          `groups/${guid(rng)}/members/$ref`,
          `groups/${guid(rng)}/members/${guid(rng)}/$ref`,
          `groups/${pct(nastyString(rng).slice(0, 40))}/members`,
          'groups/$count',
          `groups/${guid(rng)}/members/$count`,
          `groups/${guid(rng)}/transitiveMembers/$count`,
        ]),
    ],
    [
      1,
      () =>
        rng.pick([
          'users/$count',
          'Users',
          'USERS/x',
          'users/',
          'users//',
          'me/',
          '$metadata',
          'groups',
          'users/delta()',
          'auditLogs',
          '$batch',
        ]),
    ],
    [1, () => Array.from({ length: rng.int(1, 5) }, () => pct(nastyString(rng).slice(0, 50))).join('/')],
    [0.3, () => `users/${'a'.repeat(rng.pick([1100, 5000]))}`],
  ])();
}

/** What the sign-in log's $filter takes (src/graph/sign-in-filter.ts), and what it does not. */
const SIGN_IN_FILTER_PROPERTIES = [
  'userId',
  'userPrincipalName',
  'appId',
  'servicePrincipalId',
  'createdDateTime',
  'status/errorCode',
  'ipAddress',
];
/** The event types of signInEventTypes/any(…) (beta), in the spellings Graph documents and others. */
const SIGN_IN_EVENT_TYPES = [
  'nonInteractiveUser',
  'interactiveUser',
  'servicePrincipal',
  'managedIdentity',
  'SERVICEPRINCIPAL',
  'unknownFutureValue',
];

function filter(rng: Rng, properties: readonly string[]): string {
  const property = rng.chance(0.9) ? rng.pick(properties) : randomString(rng, 10);
  const value = rng.chance(0.7) ? randomString(rng, 20).replace(/'/g, "''") : nastyString(rng);
  if (properties === SESSION_FILTER_PROPERTIES && rng.chance(0.4)) {
    return rng.pick([
      `isLive eq ${rng.pick(['true', 'false', 'TRUE', '1', value])}`,
      `appId eq '${rng.chance(0.5) ? guid(rng) : value}' and isLive eq true`,
      `lastUsedDateTime ge ${rng.pick(['2026-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.9999999+14:00', value])}`,
      `createdDateTime lt ${rng.pick(['2026-01-01T00:00:00Z', '-271821-04-20T00:00:00Z', value])}`,
    ]);
  }
  if (properties === RECEIPT_FILTER_PROPERTIES && rng.chance(0.4)) {
    return rng.pick([
      `revokedDateTime ge ${rng.pick(['2026-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.9999999+14:00', '2026-13-45T99:99:99Z', value])}`,
      `userId eq '${rng.chance(0.5) ? guid(rng) : value}' and revokedDateTime le 2026-01-01T00:00:00Z`,
      `correlationId eq '${value}'`,
    ]);
  }
  if (properties === SIGN_IN_FILTER_PROPERTIES && rng.chance(0.4)) {
    return rng.pick([
      `createdDateTime ge ${rng.pick(['2026-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.9999999+14:00', value])}`,
      `status/errorCode eq ${rng.pick(['0', '50126', '999999999', '-1', value])}`,
      `signInEventTypes/any(t: t eq '${rng.chance(0.8) ? rng.pick(SIGN_IN_EVENT_TYPES) : value}')`,
      `signInEventTypes/any(${rng.pick(['t: t', 'x:x', 't: u', ' t : t '])} ${rng.pick(['eq', 'ne', 'EQ'])} '${rng.pick(SIGN_IN_EVENT_TYPES)}')`,
      `signInEventTypes/any(t: t eq 'servicePrincipal') and servicePrincipalId eq '${rng.chance(0.5) ? guid(rng) : value}'`,
      `servicePrincipalId eq '${rng.chance(0.5) ? guid(rng) : value}' and status/errorCode eq ${rng.pick(['0', '7000215', '700016', value])}`,
      `userId eq '${value}' and appId eq '${value}' and createdDateTime le 2026-01-01T00:00:00Z`,
    ]);
  }
  if (properties === AUDIT_PROPERTIES && rng.chance(0.4)) {
    // The directory audit log's filters by target and initiating user (src/graph/audit-filter.ts).
    const id = rng.chance(0.5) ? guid(rng) : value;
    const v = rng.pick(['t', 'x', 'T1', '', '1t', 't t']);
    return rng.pick([
      `targetResources/any(${v}:${v}/id eq '${id}')`,
      `targetResources/any( ${v} : ${rng.pick([v, 'u'])}/id eq '${id}' )`,
      `targetResources/any(${v}:${v}/id eq '${id}') and activityDisplayName eq '${value}'`,
      `activityDisplayName eq '${value}' and targetResources/any(${v}:${v}/id eq '${id}')`,
      `initiatedBy/user/id eq '${id}'`,
      `initiatedBy/user/id eq '${id}' and targetResources/any(t:t/id eq '${id}')`,
      `targetResources/any(${v}:${v}/id eq '${id}') ${rng.pick(['and', 'or', 'AND', ''])} ${property} eq '${value}'`,
    ]);
  }
  return rng.weighted<() => string>([
    [5, () => `${property} eq '${value}'`],
    [1, () => `${property} eq ${value}`],
    [1, () => `startswith(${property},'${value}')`],
    [1, () => `${property} eq '${value}' and ${rng.pick(properties)} ne 'x'`],
    [1, () => `${property} in ('a','b')`],
    [1, () => nastyString(rng)],
    [1, () => damageText(rng, `${property} eq '${value}'`)],
  ])();
}

/** A $skiptoken: opaque junk, or base64url JSON shaped like ours with the wrong content. */
function skipToken(rng: Rng, collection: string): string {
  const position = rng.weighted<() => unknown>([
    // The shapes the server issues (users: {after}, directoryAudits: {at, id}) with odd values.
    [3, () => ({ after: rng.chance(0.5) ? guid(rng) : rng.chance(0.5) ? nastyString(rng) : jsonValue(rng, 1) })],
    [
      3,
      () => ({
        at: rng.pick<unknown>([Date.now(), 0, -1, 1.5, 1e308, 2 ** 63, -(2 ** 63), '1', null]),
        id: rng.chance(0.7) ? guid(rng) : jsonValue(rng, 1),
      }),
    ],
    [2, () => jsonValue(rng, 2)],
  ])();
  return rng.weighted<() => string>([
    [
      5,
      () =>
        Buffer.from(
          JSON.stringify({ c: rng.chance(0.8) ? collection : rng.pick(['users', 'directoryAudits', 'x']), p: position }),
        ).toString('base64url'),
    ],
    [2, () => nastyString(rng)],
    [1, () => Buffer.from(damageText(rng, JSON.stringify({ c: 'users', p: position }))).toString('base64url')],
  ])();
}

/** Which filter grammar and skiptoken collection a path's list has. */
function listOf(path: string): { properties: readonly string[]; collection: string } {
  if (path.startsWith('auditLogs/signIns')) return { properties: SIGN_IN_FILTER_PROPERTIES, collection: 'signIns' };
  if (path.startsWith('auditLogs/revocationReceipts')) return { properties: RECEIPT_FILTER_PROPERTIES, collection: 'revocationReceipts' };
  if (path.startsWith('auditLogs')) return { properties: AUDIT_PROPERTIES, collection: 'directoryAudits' };
  if (path.includes('signInSessions')) return { properties: SESSION_FILTER_PROPERTIES, collection: 'signInSessions' };
  if (path.startsWith('groups'))
    return {
      properties: GROUP_PROPERTIES,
      collection: path.includes('ransitive') ? 'transitiveMembers' : path.includes('members') ? 'members' : 'groups',
    };
  return { properties: USER_PROPERTIES, collection: 'users' };
}

function queryString(rng: Rng, path: string): string {
  const { properties, collection } = listOf(path);
  const parts: string[] = [];
  for (
    let n = rng.weighted([
      [3, 0],
      [4, 1],
      [3, 2],
      [1, 4],
    ] as const);
    n > 0;
    n--
  ) {
    const [name, value] = rng.weighted<() => [string, string]>([
      [4, () => ['$select', Array.from({ length: rng.int(1, 4) }, () => rng.pick([...properties, '*', ' ', ''])).join(',')]],
      [4, () => ['$filter', filter(rng, properties)]],
      [
        3,
        () => [
          '$top',
          rng.pick(['1', '5', '999', '1000', '0', '-1', '1.5', '1e3', ' 7', '0x10', '99999999999999999999', nastyString(rng)]),
        ],
      ],
      [3, () => ['$skiptoken', skipToken(rng, collection)]],
      [
        2,
        () => [
          rng.pick(['$count', '$orderby', '$expand', '$search', '$skip', '$format', '$apply', '$SELECT', '%24top', '$Top']),
          rng.pick(['true', 'displayName desc', 'manager', '"x"', '10', nastyString(rng)]),
        ],
      ],
      [1, () => [randomString(rng, 8), nastyString(rng)]],
    ])();
    const encodedName = name.startsWith('%') ? name : pct(name).replace('%24', rng.chance(0.8) ? '$' : '%24');
    parts.push(rng.chance(0.95) ? `${encodedName}=${pct(value)}` : `${encodedName}=${value}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Bodies for users create/update and the revoke actions: a valid one, mutated, or junk. */
export function userBody(rng: Rng, ctx: FuzzContext): unknown {
  const valid = rng.pick<() => Record<string, unknown>>([
    () => ({
      accountEnabled: true,
      displayName: randomString(rng, 20) || 'X',
      mailNickname: randomString(rng, 12) || 'x',
      userPrincipalName: `${randomString(rng, 12) || 'u'}@${ctx.domain}`,
      passwordProfile: { password: `Fz-${randomString(rng, 10)}-9a!`, forceChangePasswordNextSignIn: rng.chance(0.5) },
    }),
    () => ({ displayName: randomString(rng, 30) }),
    () => ({ accountEnabled: rng.chance(0.5) }),
    () => ({ passwordProfile: { password: nastyString(rng) } }),
    () => ({}),
  ])();
  // Mostly mutated: a fully valid create or password reset costs an argon2 hash.
  let body: unknown = valid;
  for (
    let i = rng.weighted([
      [1, 0],
      [4, 1],
      [2, 2],
      [1, 4],
    ] as const);
    i > 0;
    i--
  )
    body = mutateJson(rng, body);
  return body;
}

/** Bodies of the targeted revokes (graph/sign-in-sessions.ts): `dryRun`, `appId`, `sessionId`; valid, mutated, or junk. */
function revokeBody(rng: Rng): unknown {
  const valid: Record<string, unknown> = {};
  if (rng.chance(0.6)) valid.dryRun = rng.chance(0.7) ? rng.chance(0.5) : jsonValue(rng, 1);
  if (rng.chance(0.5)) valid.appId = rng.chance(0.7) ? guid(rng) : nastyString(rng);
  if (rng.chance(0.5)) valid.sessionId = rng.chance(0.7) ? guid(rng) : nastyString(rng);
  return rng.chance(0.5) ? valid : mutateJson(rng, valid);
}

/** Bodies for POST /groups and POST /groups/{id}/members/$ref: a valid one, mutated, or junk. */
function groupBody(rng: Rng, ctx: FuzzContext): unknown {
  const valid = rng.pick<() => Record<string, unknown>>([
    () => ({
      displayName: randomString(rng, 20) || 'G',
      mailNickname: randomString(rng, 10) || 'g',
      mailEnabled: false,
      securityEnabled: true,
    }),
    () => ({
      '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${rng.chance(0.7) ? rng.pick(ctx.targetUsers).id : guid(rng)}`,
    }),
  ])();
  return rng.chance(0.5) ? valid : mutateJson(rng, valid);
}

function bearer(rng: Rng, ctx: FuzzContext): string | undefined {
  return rng.weighted<() => string | undefined>([
    [6, () => `Bearer ${ctx.appToken}`],
    [3, () => `Bearer ${ctx.adminToken}`],
    [1, () => undefined],
    [1, () => `Bearer ${damageText(rng, ctx.appToken)}`],
    [
      1,
      () => {
        // A token with a forged header or payload: alg none, an unknown kid, claims of the wrong type.
        const [h, p, s] = ctx.appToken.split('.');
        const header = rng.chance(0.5)
          ? Buffer.from(JSON.stringify(mutateJson(rng, JSON.parse(Buffer.from(h!, 'base64url').toString())))).toString('base64url')
          : h;
        const payload = rng.chance(0.7)
          ? Buffer.from(JSON.stringify(mutateJson(rng, JSON.parse(Buffer.from(p!, 'base64url').toString())))).toString('base64url')
          : p;
        return `Bearer ${header}.${payload}.${rng.chance(0.5) ? s : ''}`;
      },
    ],
    [1, () => wireHeaderValue(`${rng.pick(['Bearer ', 'Bearer  ', 'bearer ', 'Basic ', ''])}${nastyString(rng).slice(0, 3000)}`)],
  ])();
}

export function graphRequest(rng: Rng, ctx: FuzzContext) {
  const path = graphPath(rng, ctx);
  const method = rng.weighted<string>([
    [6, 'GET'],
    [3, 'POST'],
    [3, 'PATCH'],
    [1, 'DELETE'],
    [0.5, 'PUT'],
  ]);
  const headers: Record<string, string> = {};
  const auth = bearer(rng, ctx);
  if (auth) headers.authorization = wireHeaderValue(auth);
  if (rng.chance(0.3)) headers.consistencylevel = wireHeaderValue(rng.pick(['eventual', 'Eventual', nastyString(rng).slice(0, 40)]));
  let body: string | undefined;
  if (method !== 'GET' && method !== 'DELETE' ? rng.chance(0.9) : rng.chance(0.05)) {
    const json = JSON.stringify(
      path.startsWith('groups') ? groupBody(rng, ctx) : path.includes('signInSessions') ? revokeBody(rng) : userBody(rng, ctx),
    );
    body = rng.chance(0.1) ? damageText(rng, json) : json;
    headers['content-type'] = rng.weighted<string>([
      [9, 'application/json'],
      [1, 'application/json; charset=utf-8'],
      [1, 'text/plain'],
      [1, 'application/x-www-form-urlencoded'],
      [0.5, 'application/json; odata.metadata=none'],
    ]);
  }
  const version = rng.weighted<string>([
    [5, 'v1.0'],
    [3, 'beta'],
    [0.5, 'V1.0'],
    [0.5, 'v2.0'],
  ]);
  return { method, path: wirePath(`/${version}/${path}${queryString(rng, path)}`), headers, ...(body !== undefined ? { body } : {}) };
}

export const graphTarget: HttpTarget = {
  name: 'Graph API',
  generate(rng, ctx) {
    const req = graphRequest(rng, ctx);
    return rng.chance(0.05) ? damageRequest(rng, req) : req;
  },
};
