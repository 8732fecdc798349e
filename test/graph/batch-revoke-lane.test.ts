/**
 * The $batch revoke lane (src/graph/batch-revoke.ts) answers exactly what inject() answers: each
 * mixed batch below runs twice on the same app, first with the lane off (every inner request
 * through inject() and the router), then with it on, and the two `responses` arrays must be the
 * same bytes once the random request ids are replaced by placeholders. A ManualClock keeps the
 * innerError dates equal. Each batch also checks that its revokes were durable in both runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { batchDispatch } from '../../src/graph/batch.js';
import { resolveInnerUrl } from '../../src/graph/batch-containment.js';
import { laneRevokeOf } from '../../src/graph/batch-revoke.js';
import type { BatchItem } from '../../src/graph/batch-request.js';
import { GraphError } from '../../src/graph/errors.js';
import { GRAPH_ROUTES } from '../../src/graph/routes.js';
import { ManualClock, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { call, reload } from './graph-helpers.js';

const ADMIN_SCOPES = ['User.RevokeSessions.All', 'User.ReadWrite.All'];
const json = { 'content-type': 'application/json' };
const UNKNOWN = '00000000-0000-4000-8000-00000000dead';

/**
 * Request ids are random per request: replaced by their first-seen order, everywhere they occur.
 * The innerError date must be the clock's instant of the run (runs are 10 s apart).
 */
function normalise(responses: any[], clock: ManualClock): string {
  const ids = new Map<string, string>();
  const date = new Date(clock.now()).toISOString().slice(0, 19);
  const text = JSON.stringify(responses).replaceAll(`"date":"${date}"`, '"date":"NOW"');
  return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => {
    // Object ids of seeded users are GUIDs too; only ids that are some response's request-id are replaced.
    const isRequestId = responses.some((r) => r.headers?.['request-id'] === id || r.body?.error?.innerError?.['request-id'] === id);
    if (!isRequestId) return id;
    if (!ids.has(id)) ids.set(id, `RID-${ids.size}`);
    return ids.get(id)!;
  });
}

async function runBoth(
  h: Harness,
  clock: ManualClock,
  url: string,
  token: () => string,
  requests: unknown[],
): Promise<{ inject: any[]; lane: any[] }> {
  const once = async (lane: boolean) => {
    batchDispatch.revokeLane = lane;
    try {
      const res = await call(h, 'POST', url, { token: token(), body: { requests } });
      assert.equal(res.status, 200, res.body);
      return res.json.responses as any[];
    } finally {
      batchDispatch.revokeLane = true;
    }
  };
  const inject = await once(false);
  const injected = normalise(inject, clock);
  clock.advance(10_000); // refills throttle buckets; revokes at a later instant answer the same
  const lane = await once(true);
  assert.equal(normalise(lane, clock), injected);
  return { inject, lane };
}

const item = (raw: Partial<BatchItem> & { url: string }): BatchItem => ({
  id: '1',
  method: 'POST',
  headers: {},
  body: undefined,
  dependsOn: [],
  ...raw,
});

describe('$batch revoke lane', () => {
  let h: Harness;
  const clock = new ManualClock();
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(() => h.close());

  test('takes plain revokes and leaves everything else to inject()', () => {
    // The URL as batch.ts resolves it (batch-containment.ts), then the lane's choice.
    const lane = (version: 'v1.0' | 'beta', raw: Partial<BatchItem> & { url: string }) => {
      const target = resolveInnerUrl(version, raw.method ?? 'POST', raw.url, GRAPH_ROUTES);
      return !(target instanceof GraphError) && laneRevokeOf(item(raw), target) !== null;
    };
    assert.ok(lane('v1.0', { url: 'users/bob%40contoso.test/revokeSignInSessions', headers: json, body: {} }));
    assert.ok(lane('v1.0', { url: `Users/${UNKNOWN}/Microsoft.Graph.RevokeSignInSessions` }));
    assert.ok(lane('v1.0', { url: 'me/revokeSignInSessions' }));
    assert.ok(lane('beta', { url: 'me/invalidateAllRefreshTokens' }));
    assert.ok(!lane('v1.0', { url: 'me/invalidateAllRefreshTokens' }), 'v1.0 has no invalidateAllRefreshTokens');
    assert.ok(!lane('v1.0', { url: 'users/bob/revokeSignInSessions?x=1' }));
    assert.ok(!lane('v1.0', { url: 'users/bob%2Fx/revokeSignInSessions' }));
    assert.ok(!lane('v1.0', { url: 'users/bob%zz/revokeSignInSessions' }));
    assert.ok(!lane('v1.0', { url: 'users/bob/revokeSignInSessions', headers: json, body: { a: 1 } }));
    assert.ok(!lane('v1.0', { url: 'users/bob/revokeSignInSessions', headers: { 'content-type': 'text/plain' }, body: 'e30=' }));
    assert.ok(!lane('v1.0', { url: 'users/bob/revokeSignInSessions', method: 'GET' }));
    assert.ok(!lane('v1.0', { url: 'users//revokeSignInSessions' }));
  });

  test('admin: by id, encoded UPN, case variants, unknown and invalid keys, failed dependencies', async () => {
    const [alice0, bob0] = [await reload(h, h.users.alice!), await reload(h, h.users.bob!)];
    const { lane } = await runBoth(h, clock, '/v1.0/$batch', () => delegatedToken(h, 'globaladmin', ADMIN_SCOPES), [
      { id: '1', method: 'POST', url: `/users/${alice0.id}/revokeSignInSessions`, headers: json, body: {} },
      { id: '2', method: 'POST', url: `users/${encodeURIComponent(bob0.userPrincipalName)}/revokeSignInSessions` },
      {
        id: '3',
        method: 'POST',
        url: `/Users/${bob0.userPrincipalName.toUpperCase()}/microsoft.graph.revokeSignInSessions`,
        headers: { 'client-request-id': 'my-id-3' },
      },
      { id: '4', method: 'POST', url: `/users/${UNKNOWN}/revokeSignInSessions` },
      { id: '5', method: 'POST', url: '/users/nobody/revokeSignInSessions', headers: { 'client-request-id': 'not valid!' } },
      { id: '6', method: 'POST', url: `/users/${alice0.id}/invalidateAllRefreshTokens` },
      { id: '7', method: 'POST', url: `/users/${alice0.id}/revokeSignInSessions`, dependsOn: ['4'] },
      { id: '8', method: 'POST', url: `/users/${alice0.id}/revokeSignInSessions?unused=1` },
    ]);
    assert.deepEqual(
      lane.map((r) => r.status),
      [200, 200, 200, 404, 400, 400, 424, 200],
    );
    // Two runs: alice revoked by 1 and 8, bob by 2 and 3, in each run.
    assert.equal((await reload(h, alice0)).revocationEpoch, alice0.revocationEpoch + 4);
    assert.equal((await reload(h, bob0)).revocationEpoch, bob0.revocationEpoch + 4);
  });

  test('the role matrix and the permission scopes apply per inner request', async () => {
    const ga = h.users.globaladmin!;
    const alice = h.users.alice!;
    const helpdesk = await runBoth(h, clock, '/v1.0/$batch', () => delegatedToken(h, 'helpdesk', ['User.RevokeSessions.All']), [
      { id: 'admin', method: 'POST', url: `/users/${ga.id}/revokeSignInSessions` },
      { id: 'user', method: 'POST', url: `/users/${alice.id}/revokeSignInSessions` },
    ]);
    assert.deepEqual(
      helpdesk.lane.map((r) => r.status),
      [403, 200],
    );
    const weak = await runBoth(h, clock, '/v1.0/$batch', () => delegatedToken(h, 'bob', ['User.ReadWrite']), [
      { id: 'other', method: 'POST', url: `/users/${alice.id}/revokeSignInSessions` },
      { id: 'read-only', method: 'POST', url: `/users/${ga.id}/revokeSignInSessions` },
    ]);
    assert.deepEqual(
      weak.lane.map((r) => r.status),
      [403, 403],
    );
    const none = await runBoth(h, clock, '/v1.0/$batch', () => delegatedToken(h, 'globaladmin', ['User.Read']), [
      { id: 'x', method: 'POST', url: `/users/${alice.id}/revokeSignInSessions` },
      { id: 'me', method: 'POST', url: '/me/revokeSignInSessions' },
    ]);
    assert.deepEqual(
      none.lane.map((r) => r.status),
      [403, 403],
    );
  });

  test('application permissions, /me with an app token, beta actions', async () => {
    const alice = h.users.alice!;
    const app = await runBoth(h, clock, '/v1.0/$batch', () => appToken(h, ['User.RevokeSessions.All']), [
      { id: 'ok', method: 'POST', url: `/users/${alice.id}/revokeSignInSessions` },
      { id: 'me', method: 'POST', url: '/me/revokeSignInSessions' },
    ]);
    assert.deepEqual(
      app.lane.map((r) => r.status),
      [200, 400],
    );
    const weakApp = await runBoth(h, clock, '/v1.0/$batch', () => appToken(h, ['User.Read.All']), [
      { id: 'no', method: 'POST', url: `/users/${alice.id}/revokeSignInSessions` },
    ]);
    assert.deepEqual(
      weakApp.lane.map((r) => r.status),
      [403],
    );
    const beta = await runBoth(h, clock, '/beta/$batch', () => delegatedToken(h, 'globaladmin', ADMIN_SCOPES), [
      { id: 'inv', method: 'POST', url: `/users/${alice.id}/invalidateAllRefreshTokens`, headers: json, body: {} },
      { id: 'rev', method: 'POST', url: `/users/${alice.id}/microsoft.graph.revokeSignInSessions` },
      { id: 'app-inv', method: 'POST', url: `/users/${UNKNOWN}/invalidateAllRefreshTokens` },
    ]);
    assert.deepEqual(
      beta.lane.map((r) => r.status),
      [204, 200, 404],
    );
    assert.equal(beta.lane[0].body, undefined);
  });

  test('a token revoked by an earlier request of the batch is refused for the later ones (I6)', async () => {
    // A token carries the epoch of the user object it is minted from: mint from the stored user.
    const fresh = async () => {
      h.users.bob = await reload(h, h.users.bob!);
    };
    // Minted a second before the revoke: a token of the revoke's own second is not older than it.
    const token = () => {
      const minted = delegatedToken(h, 'bob', ['User.ReadWrite']);
      clock.advance(1_000);
      return minted;
    };
    await fresh();
    let minted = token();
    const requests = [
      { id: 'self', method: 'POST', url: '/me/revokeSignInSessions' },
      { id: 'again', method: 'POST', url: `/users/${h.users.bob!.id}/revokeSignInSessions`, dependsOn: ['self'] },
    ];
    batchDispatch.revokeLane = false;
    const viaInject = await call(h, 'POST', '/v1.0/$batch', { token: minted, body: { requests } });
    batchDispatch.revokeLane = true;
    assert.deepEqual(
      viaInject.json.responses.map((r: any) => r.status),
      [200, 401],
    );
    const injected = normalise(viaInject.json.responses, clock);
    clock.advance(10_000);
    await fresh();
    minted = token();
    const viaLane = await call(h, 'POST', '/v1.0/$batch', { token: minted, body: { requests } });
    assert.deepEqual(
      viaLane.json.responses.map((r: any) => r.status),
      [200, 401],
    );
    assert.equal(normalise(viaLane.json.responses, clock), injected);
  });
});

describe('$batch revoke lane with throttling', () => {
  let h: Harness;
  const clock = new ManualClock();
  before(async () => {
    h = await makeHarness({ clock, config: { graphThrottle: { requestsPerSecond: 1, burst: 3 } } });
  });
  after(() => h.close());

  test('each inner revoke is charged to the caller; the same requests are throttled both ways', async () => {
    const alice = h.users.alice!;
    const requests = Array.from({ length: 5 }, (_, i) => ({
      id: String(i),
      method: 'POST',
      url: `/users/${alice.id}/revokeSignInSessions`,
    }));
    const { lane } = await runBoth(h, clock, '/v1.0/$batch', () => appToken(h, ['User.RevokeSessions.All']), requests);
    assert.deepEqual(
      lane.map((r) => r.status),
      [200, 200, 200, 429, 429],
    );
    assert.equal(lane[3].headers['retry-after'], '1');
  });
});
