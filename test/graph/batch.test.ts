/**
 * JSON batching (https://learn.microsoft.com/graph/json-batching) and throttling (https://learn.microsoft.com/graph/throttling) through the real app: inner requests run
 * through the same routes with the outer Authorization, failed dependencies answer 424, and with
 * graphThrottle configured each inner request is charged and throttled on its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, reload } from './graph-helpers.js';

const ADMIN_SCOPES = ['User.RevokeSessions.All', 'User.ReadWrite.All'];
const json = { 'content-type': 'application/json' };
const revoke = (id: string, userId: string, extra: Record<string, unknown> = {}) => ({
  id,
  method: 'POST',
  url: `/users/${userId}/revokeSignInSessions`,
  headers: json,
  body: {},
  ...extra,
});

describe('$batch', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await makeHarness();
    token = delegatedToken(h, 'globaladmin', ADMIN_SCOPES);
  });
  after(() => h.close());

  test('dispatches each request through the Graph routes with the outer Authorization', async () => {
    const alice = await reload(h, h.users.alice!);
    const res = await call(h, 'POST', '/v1.0/$batch', {
      token,
      body: {
        requests: [
          revoke('1', alice.userPrincipalName),
          { id: '2', method: 'GET', url: `users/${h.users.bob!.id}?$select=id,userPrincipalName` },
          { id: '3', method: 'GET', url: '/nothingHere' },
          { id: '4', method: 'GET', url: '/users/00000000-0000-4000-8000-00000000dead' },
        ],
      },
    });
    assert.equal(res.status, 200, res.body);
    const byId = new Map<string, any>(res.json.responses.map((r: any) => [r.id, r]));
    assert.equal(byId.get('1').status, 200);
    assert.equal(byId.get('1').body.value, true);
    assert.match(byId.get('1').headers['request-id'], /^[0-9a-f-]{36}$/);
    assert.equal(byId.get('2').status, 200);
    assert.equal(byId.get('2').body.userPrincipalName, 'bob@contoso.test');
    assert.equal(byId.get('3').status, 400);
    assert.equal(byId.get('3').body.error.code, 'Request_BadRequest');
    assert.equal(byId.get('4').status, 404);
    assert.equal(byId.get('4').body.error.code, 'Request_ResourceNotFound');
    assert.equal((await reload(h, alice)).revocationEpoch, alice.revocationEpoch + 1);
  });

  test('beta: invalidateAllRefreshTokens answers 204 with no body inside the batch', async () => {
    const res = await call(h, 'POST', '/beta/$batch', {
      token,
      body: {
        requests: [{ id: 'a', method: 'POST', url: `/users/${h.users.bob!.id}/invalidateAllRefreshTokens`, headers: json, body: {} }],
      },
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.responses[0].status, 204);
    assert.equal(res.json.responses[0].body, undefined);
  });

  test('inner requests are authorised as the caller: a caller without the scope gets inner 403s', async () => {
    const weak = delegatedToken(h, 'alice', ['User.Read']);
    const res = await call(h, 'POST', '/v1.0/$batch', { token: weak, body: { requests: [revoke('1', h.users.bob!.id)] } });
    assert.equal(res.status, 200);
    assert.equal(res.json.responses[0].status, 403);
    assert.equal(res.json.responses[0].body.error.code, 'Authorization_RequestDenied');
  });

  test('the batch itself needs a valid token', async () => {
    const res = await call(h, 'POST', '/v1.0/$batch', { body: { requests: [revoke('1', h.users.bob!.id)] } });
    assertGraphError(res, 401, 'InvalidAuthenticationToken');
  });

  test('malformed batches are refused whole with 400', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /'requests' array/],
      [{ requests: [] }, /at least one/],
      [{ requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/me' })) }, /21 requests; the limit is 20/],
      [
        {
          requests: [
            { id: 'A', method: 'GET', url: '/me' },
            { id: 'a', method: 'GET', url: '/me' },
          ],
        },
        /more than one request with id 'a'/,
      ],
      [{ requests: [{ id: '1', method: 'GET', url: '/me', dependsOn: ['9'] }] }, /depends on '9', which is not in the batch/],
      [
        {
          requests: [
            { id: '1', method: 'GET', url: '/me', dependsOn: ['2'] },
            { id: '2', method: 'GET', url: '/me', dependsOn: ['1'] },
          ],
        },
        /cycle/,
      ],
      [{ requests: [{ id: '1', method: 'TRACE', url: '/me' }] }, /invalid 'method'/],
      [{ requests: [{ id: '1', method: 'POST', url: '/users', body: { a: 1 } }] }, /no Content-Type/],
    ];
    for (const [body, message] of cases) {
      assertGraphError(await call(h, 'POST', '/v1.0/$batch', { token, body }), 400, 'Request_BadRequest', message);
    }
  });

  test('absolute, versioned and nested URLs get an inner 400', async () => {
    const res = await call(h, 'POST', '/v1.0/$batch', {
      token,
      body: {
        requests: [
          { id: '1', method: 'GET', url: 'https://graph.microsoft.com/v1.0/me' },
          { id: '2', method: 'GET', url: '/beta/me' },
          { id: '3', method: 'POST', url: '/$batch', headers: json, body: { requests: [] } },
        ],
      },
    });
    assert.equal(res.status, 200);
    for (const r of res.json.responses) {
      assert.equal(r.status, 400, JSON.stringify(r));
      assert.equal(r.body.error.code, 'Request_BadRequest');
    }
  });

  test('a refused inner request echoes client-request-id by the one rule (src/http/request-id.ts)', async () => {
    const res = await call(h, 'POST', '/v1.0/$batch', {
      token,
      body: {
        requests: [
          { id: '1', method: 'GET', url: '/beta/me', headers: { 'client-request-id': 'batch-inner-1' } },
          { id: '2', method: 'GET', url: '/beta/me', headers: { 'client-request-id': 'not an id <b>' } },
        ],
      },
    });
    assert.equal(res.status, 200);
    const byId = new Map(res.json.responses.map((r: { id: string }) => [r.id, r]));
    const inner = (id: string) => (byId.get(id) as { body: { error: { innerError: Record<string, string> } } }).body.error.innerError;
    assert.equal(inner('1')['client-request-id'], 'batch-inner-1');
    // Not a plausible id: answered with the inner request's own request-id, as a direct request is.
    assert.equal(inner('2')['client-request-id'], inner('2')['request-id']);
  });

  test('dependsOn: dependents wait; a failed dependency answers 424 and the dependent does not run', async () => {
    const bob = await reload(h, h.users.bob!);
    const res = await call(h, 'POST', '/v1.0/$batch', {
      token,
      body: {
        requests: [
          { id: 'missing', method: 'GET', url: '/users/nobody@contoso.test' },
          revoke('after-missing', bob.id, { dependsOn: ['missing'] }),
          { id: 'read', method: 'GET', url: `/users/${bob.id}?$select=id` },
          revoke('after-read', bob.id, { dependsOn: ['read'] }),
        ],
      },
    });
    const byId = new Map<string, any>(res.json.responses.map((r: any) => [r.id, r]));
    assert.equal(byId.get('missing').status, 404);
    assert.equal(byId.get('after-missing').status, 424);
    assert.equal(byId.get('after-missing').body.error.code, 'Request_FailedDependency');
    assert.equal(byId.get('after-read').status, 200);
    // Exactly one of the two revokes ran.
    assert.equal((await reload(h, bob)).revocationEpoch, bob.revocationEpoch + 1);
  });
});

describe('Graph throttling (graphThrottle)', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 3, 1));
  before(async () => {
    h = await makeHarness({ clock, config: { graphThrottle: { requestsPerSecond: 2, burst: 3 } } });
  });
  after(() => h.close());

  test('429 TooManyRequests with Retry-After and the Graph throttling body once the bucket is empty; refills with time', async () => {
    const token = delegatedToken(h, 'globaladmin', ['User.Read.All']);
    const get = () => call(h, 'GET', '/v1.0/users?$top=1', { token, headers: { 'client-request-id': 'thr-1' } });
    for (let i = 0; i < 3; i++) assert.equal((await get()).status, 200);
    const limited = await get();
    assertGraphError(limited, 429, 'TooManyRequests', 'Please retry again later.');
    assert.equal(limited.headers['retry-after'], '1');
    const inner = limited.json.error.innerError;
    assert.deepEqual([inner.code, inner.status, inner.message], ['429', '429', 'Please retry after']);
    assert.equal(inner['client-request-id'], 'thr-1');
    // Another caller has its own bucket.
    assert.equal((await call(h, 'GET', '/v1.0/users?$top=1', { token: delegatedToken(h, 'useradmin', ['User.Read.All']) })).status, 200);
    clock.advance(500); // one token back at 2 per second
    assert.equal((await get()).status, 200);
    assert.equal((await get()).status, 429);
  });

  test('inner batch requests are throttled individually; the envelope is not charged', async () => {
    clock.advance(10_000); // full bucket: 3
    const token = delegatedToken(h, 'globaladmin', ['User.Read.All']);
    const requests = Array.from({ length: 5 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users?$top=1' }));
    const res = await call(h, 'POST', '/v1.0/$batch', { token, body: { requests } });
    assert.equal(res.status, 200, res.body);
    const statuses = res.json.responses.map((r: any) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const throttled = res.json.responses.find((r: any) => r.status === 429);
    assert.equal(throttled.headers['retry-after'], '1');
    assert.equal(throttled.body.error.code, 'TooManyRequests');
  });
});
