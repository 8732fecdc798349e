/**
 * The SDK (src/sdk, exported as `portcullis/sdk`) against a real Portcullis on a socket: typed
 * results, paging, the revoke actions, $batch, the audit log, GraphError fields, one token
 * refresh on 401, and 429 Retry-After handling with throttling turned on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACTIVITY } from '../../src/core/audit.js';
import { GraphClient, GraphError, batchResponseError, type ResponseInfo } from '../../src/sdk/index.js';
import { delegatedToken, type Harness } from '../helpers/harness.js';
import { listeningHarness } from '../helpers/listening.js';
import { reload } from '../graph/graph-helpers.js';

const ADMIN = ['User.RevokeSessions.All', 'User.ReadWrite.All', 'AuditLog.Read.All', 'User.Read'];

describe('GraphClient against Portcullis', () => {
  let h: Harness & { url: string };
  let graph: GraphClient;
  before(async () => {
    h = await listeningHarness();
    const token = delegatedToken(h, 'globaladmin', ADMIN);
    graph = new GraphClient({ baseUrl: `${h.url}/`, token: async () => token });
  });
  after(() => h.close());

  test('users: list pages and listAll follows nextLink', async () => {
    const page = await graph.users.list({ top: 3, select: ['id', 'userPrincipalName'] });
    assert.equal(page.value.length, 3);
    assert.ok(page.nextLink);
    const all = [];
    for await (const u of graph.users.listAll({ top: 3 })) all.push(u.userPrincipalName);
    assert.equal(all.length, Object.keys(h.users).length);
    assert.ok(all.includes('alice@contoso.test'));
  });

  test('users: create, get, update, delete; me', async () => {
    const created = await graph.users.create({
      accountEnabled: true,
      displayName: 'Sdk User',
      mailNickname: 'sdkuser',
      userPrincipalName: 'sdkuser@contoso.test',
      passwordProfile: { password: 'Sdk-Password-123' },
    });
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    await graph.users.update(created.id, { accountEnabled: false });
    assert.equal((await graph.users.get('sdkuser@contoso.test', ['accountEnabled'])).accountEnabled, false);
    await graph.users.delete(created.id);
    await assert.rejects(graph.users.get(created.id), (e: unknown) => e instanceof GraphError && e.status === 404);
    assert.equal((await graph.me()).userPrincipalName, 'globaladmin@contoso.test');
  });

  test('revokeSignInSessions (user and me), invalidateAllRefreshTokens, and the audit log shows them', async () => {
    const bob = await reload(h, h.users.bob!);
    assert.equal(await graph.revokeSignInSessions('bob@contoso.test'), true);
    assert.equal(await graph.invalidateAllRefreshTokens(bob.id), true);
    assert.equal((await reload(h, bob)).revocationEpoch, bob.revocationEpoch + 2);
    const audits = await graph.auditLogs.list({ filter: `activityDisplayName eq '${ACTIVITY.revokeSessions}'`, top: 2 });
    assert.equal(audits.value.length, 2);
    assert.equal(audits.value[0]!.targetResources[0]!.id, bob.id);
    const me = await reload(h, h.users.globaladmin!);
    assert.equal(await graph.revokeSignInSessions('me', 'beta'), true);
    assert.equal((await reload(h, me)).revocationEpoch, me.revocationEpoch + 1);
  });

  test('batch returns inner responses; batchResponseError turns a failed one into a GraphError', async () => {
    const admin = new GraphClient({ baseUrl: h.url, token: async () => delegatedToken(h, 'globaladmin', ADMIN) });
    const responses = await admin.batch([
      {
        id: '1',
        method: 'POST',
        url: `/users/${h.users.alice!.id}/revokeSignInSessions`,
        headers: { 'content-type': 'application/json' },
        body: {},
      },
      {
        id: '2',
        method: 'POST',
        url: '/users/ghost@contoso.test/revokeSignInSessions',
        headers: { 'content-type': 'application/json' },
        body: {},
      },
    ]);
    const byId = new Map(responses.map((r) => [r.id, r]));
    assert.equal(batchResponseError(byId.get('1')!), null);
    const e = batchResponseError(byId.get('2')!);
    assert.ok(e instanceof GraphError);
    assert.equal(e.status, 404);
    assert.equal(e.code, 'Request_ResourceNotFound');
    assert.match(e.requestId ?? '', /^[0-9a-f-]{36}$/);
    await assert.rejects(admin.batch([]), RangeError);
  });

  test('GraphError carries status, code, message, request-id and client-request-id', async () => {
    const weak = new GraphClient({
      baseUrl: h.url,
      token: async () => delegatedToken(h, 'alice', ['User.Read']),
      headers: { 'client-request-id': 'sdk-test-403' },
    });
    const error = await weak.revokeSignInSessions('bob@contoso.test').catch((e: unknown) => e);
    assert.ok(error instanceof GraphError);
    assert.equal(error.status, 403);
    assert.equal(error.code, 'Authorization_RequestDenied');
    assert.equal(error.message, 'Insufficient privileges to complete the operation.');
    assert.equal(error.clientRequestId, 'sdk-test-403');
    assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/);
    assert.match(error.date ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.equal(error.retryAfter, null);
  });

  test('a 401 makes the client ask its token provider once for a fresh token', async () => {
    const asked: boolean[] = [];
    const client = new GraphClient({
      baseUrl: h.url,
      token: async ({ forceRefresh }) => {
        asked.push(forceRefresh);
        return forceRefresh ? delegatedToken(h, 'globaladmin', ADMIN) : 'not-a-token';
      },
    });
    assert.equal((await client.me()).userPrincipalName, 'globaladmin@contoso.test');
    assert.deepEqual(asked, [false, true]);
    const never = new GraphClient({ baseUrl: h.url, token: async () => 'not-a-token' });
    await assert.rejects(
      never.me(),
      (e: unknown) => e instanceof GraphError && e.status === 401 && e.code === 'InvalidAuthenticationToken',
    );
  });
});

describe('GraphClient and throttling (429 Retry-After)', () => {
  let h: Harness & { url: string };
  before(async () => {
    h = await listeningHarness({ graphThrottle: { requestsPerSecond: 1, burst: 1 } });
  });
  after(() => h.close());

  test('without retries the 429 surfaces as GraphError with retryAfter; with retries it waits and succeeds', async () => {
    const token = delegatedToken(h, 'globaladmin', ADMIN);
    const seen: ResponseInfo[] = [];
    const noRetry = new GraphClient({ baseUrl: h.url, token: async () => token, maxRetries: 0 });
    await noRetry.users.list({ top: 1 });
    const error = await noRetry.users.list({ top: 1 }).catch((e: unknown) => e);
    assert.ok(error instanceof GraphError);
    assert.equal(error.status, 429);
    assert.equal(error.code, 'TooManyRequests');
    assert.equal(error.retryAfter, 1);

    const patient = new GraphClient({ baseUrl: h.url, token: async () => token, onResponse: (r) => seen.push(r) });
    const started = Date.now();
    const page = await patient.users.list({ top: 1 });
    assert.equal(page.value.length, 1);
    assert.deepEqual(
      seen.map((r) => r.status),
      [429, 200],
    );
    assert.equal(seen[0]!.headers['retry-after'], '1');
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
  });
});
