import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { READINESS_CACHE_MS, Readiness } from '../../src/ops/health.js';
import { createManagementServer } from '../../src/ops/management-server.js';
import type { Store } from '../../src/store/store.js';
import { tokenRequest } from '../helpers/browser-flow.js';
import { APP, PASSWORD, TENANT_ID, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { call } from '../graph/graph-helpers.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

/**
 * /healthz, /readyz and /metrics (docs/operations.md) through the real app: readiness goes DOWN
 * when the store is closed under the app or a migration is missing, and the counters show the
 * refreshes and revocations just made, labelled by route pattern and outcome.
 */
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const TOKEN_ROUTE = '/:tenant/oauth2/v2.0/token';

describe('health endpoints', () => {
  test('/healthz is UP; /readyz is UP with its three checks', async () => {
    const h = await makeHarness();
    try {
      const live = await h.app.http.inject({ method: 'GET', url: '/healthz' });
      assert.equal(live.statusCode, 200);
      assert.deepEqual(live.json(), { status: 'UP', checks: [] });
      const ready = await h.app.http.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.equal(ready.headers['cache-control'], 'no-store');
      assert.deepEqual(ready.json(), {
        status: 'UP',
        checks: [
          { name: 'database', status: 'UP' },
          { name: 'migrations', status: 'UP' },
          { name: 'signing-keys', status: 'UP' },
        ],
      });
    } finally {
      await h.close();
    }
  });

  test('/readyz is 503 with the database DOWN once the store is closed under the app; /healthz stays 200', async () => {
    const h = await makeHarness();
    await h.store.close();
    try {
      const ready = await h.app.http.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503, ready.body);
      const body = ready.json() as { status: string; checks: { name: string; status: string; reason?: string }[] };
      assert.equal(body.status, 'DOWN');
      assert.equal(body.checks.find((c) => c.name === 'database')?.status, 'DOWN');
      assert.doesNotMatch(ready.body, /sqlite|\.db|not open/i, 'no error text or file path');
      assert.equal((await h.app.http.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      // A scrape still answers, without the outbox series it cannot read.
      const scrape = await createManagementServer(h.app.ops).inject({ method: 'GET', url: '/metrics' });
      assert.equal(scrape.statusCode, 200);
      const samples = parsePrometheusText(scrape.body);
      assert.equal(sampleValue(samples, 'portcullis_outbox_backlog', { stage: 'event' }), undefined);
      assert.ok(sampleValue(samples, 'portcullis_http_requests_total', { method: 'GET', route: '/readyz', status: '503' }) === 1);
    } finally {
      await h.close();
    }
  });

  test('/readyz is 503 with migrations DOWN when the database lacks a migration this code knows', async () => {
    const h = await makeHarness();
    try {
      const db = new Database(h.dbFile);
      db.prepare('DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)').run();
      db.close();
      const ready = await h.app.http.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503, ready.body);
      const checks = (ready.json() as { checks: { name: string; status: string; reason?: string }[] }).checks;
      assert.deepEqual(
        checks.find((c) => c.name === 'migrations'),
        { name: 'migrations', status: 'DOWN', reason: '1 migration(s) not applied' },
      );
      assert.equal(checks.find((c) => c.name === 'database')?.status, 'UP');
    } finally {
      await h.close();
    }
  });

  test('readiness answers are reused for at most a second: a burst of probes is one check', async () => {
    const h = await makeHarness();
    try {
      let probes = 0;
      const real = h.store.ops;
      const counted: Store = {
        ...h.store,
        ops: {
          pendingMigrations: () => (probes++, real.pendingMigrations()),
          outboxBacklog: () => real.outboxBacklog(),
          pool: () => real.pool(),
        },
      };
      let now = 0;
      const readiness = new Readiness(counted, h.app.services.keys, () => now);
      const answers = await Promise.all(Array.from({ length: 20 }, () => readiness.check()));
      assert.ok(answers.every((a) => a.status === 'UP'));
      assert.equal(probes, 1);
      now += READINESS_CACHE_MS - 1;
      await readiness.check();
      assert.equal(probes, 1);
      now += 1;
      await readiness.check();
      assert.equal(probes, 2);
    } finally {
      await h.close();
    }
  });
});

describe('metrics', () => {
  let h: Harness;
  let management: ReturnType<typeof createManagementServer>;
  before(async () => {
    // The dispatcher is off, so every security event stays in the outbox backlog.
    h = await makeHarness({ config: { outbox: { enabled: false } } });
    management = createManagementServer(h.app.ops);
    await management.ready();
  });
  after(async () => {
    await management.close();
    await h.close();
  });

  const scrape = async () => {
    const res = await management.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return { text: res.body, samples: parsePrometheusText(res.body) };
  };
  const signIn = async (user: string) => {
    const res = await tokenRequest(h, {
      grant_type: 'password',
      client_id: APP.publicClient,
      username: `${user}@contoso.test`,
      password: PASSWORD,
      scope: 'openid offline_access User.Read',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.refresh_token as string;
  };
  const refresh = (rt: string) => tokenRequest(h, { grant_type: 'refresh_token', client_id: APP.publicClient, refresh_token: rt });

  test('/metrics is not on the public port', async () => {
    assert.equal((await h.app.http.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
  });

  test('refresh outcomes, revocations, routes and the outbox backlog show what was done, with bounded labels', async () => {
    const alice = h.users.alice!;
    const bob = h.users.bob!;
    let rt = await signIn('alice');
    for (let i = 0; i < 2; i++) {
      const r = await refresh(rt);
      assert.equal(r.status, 200);
      rt = r.body.refresh_token as string;
    }
    const admin = delegatedToken(h, 'globaladmin', ['User.ReadWrite.All', 'User.RevokeSessions.All']);
    const revokeRes = await call(h, 'POST', `/v1.0/users/${alice.userPrincipalName}/revokeSignInSessions`, { token: admin });
    assert.equal(revokeRes.status, 200, revokeRes.body);
    const revoked = await refresh(rt);
    assert.equal(revoked.status, 400);
    assert.match(String(revoked.body.error_description), /^AADSTS50173:/);
    assert.equal((await call(h, 'PATCH', `/v1.0/users/${bob.id}`, { token: admin, body: { accountEnabled: false } })).status, 204);
    const reset = await call(h, 'PATCH', `/v1.0/users/${h.users.passwordadmin!.id}`, {
      token: admin,
      body: { passwordProfile: { password: 'Another-Horse-42!', forceChangePasswordNextSignIn: false } },
    });
    assert.equal(reset.status, 204, reset.body);
    const carol = await signIn('helpdesk');
    const rfc7009 = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/revoke`,
      headers: FORM,
      payload: new URLSearchParams({ client_id: APP.publicClient, token: carol }).toString(),
    });
    assert.equal(rfc7009.statusCode, 200);

    const { text, samples } = await scrape();
    assert.equal(sampleValue(samples, 'portcullis_token_refresh_total', { outcome: 'success' }), 2);
    assert.equal(sampleValue(samples, 'portcullis_token_refresh_total', { outcome: 'AADSTS50173' }), 1);
    assert.equal(sampleValue(samples, 'portcullis_revocations_total', { kind: 'revokeSignInSessions' }), 1);
    assert.equal(sampleValue(samples, 'portcullis_revocations_total', { kind: 'accountDisabled' }), 1);
    assert.equal(sampleValue(samples, 'portcullis_revocations_total', { kind: 'tokenRevocation' }), 1);
    assert.equal(sampleValue(samples, 'portcullis_revocations_total', { kind: 'passwordReset' }), 1);
    assert.equal(sampleValue(samples, 'portcullis_revocations_total', { kind: 'invalidateAllRefreshTokens' }), undefined);
    // Two password sign-ins, three refreshes: 5 answers on the token route, 4 of them 200.
    assert.equal(sampleValue(samples, 'portcullis_http_requests_total', { method: 'POST', route: TOKEN_ROUTE, status: '200' }), 4);
    assert.equal(sampleValue(samples, 'portcullis_http_requests_total', { method: 'POST', route: TOKEN_ROUTE, status: '400' }), 1);
    assert.equal(sampleValue(samples, 'portcullis_http_request_duration_seconds_count', { method: 'POST', route: TOKEN_ROUTE }), 5);
    assert.equal(
      sampleValue(samples, 'portcullis_http_requests_total', {
        method: 'POST',
        route: '/v1.0/users/:id/revokeSignInSessions',
        status: '200',
      }),
      1,
    );
    assert.equal(sampleValue(samples, 'portcullis_http_requests_total', { method: 'PATCH', route: '/v1.0/users/:id', status: '204' }), 2);
    // Route patterns only: no user id, UPN or token appears anywhere in the exposition.
    for (const secret of [alice.id, alice.userPrincipalName, bob.id, TENANT_ID, rt, carol])
      assert.ok(!text.includes(secret), `leaked ${secret.slice(0, 12)}…`);
    // The outbox backlog: every event written (the dispatcher is off) is still unplanned.
    const events = await h.store.outbox.listEvents({ limit: 100 });
    assert.ok(events.length >= 3, 'the revoke, the disable and the reset each wrote an event');
    assert.equal(sampleValue(samples, 'portcullis_outbox_backlog', { stage: 'event' }), events.length);
    assert.equal(sampleValue(samples, 'portcullis_outbox_backlog', { stage: 'delivery' }), 0);
    const age = sampleValue(samples, 'portcullis_outbox_oldest_pending_age_seconds');
    assert.ok(age !== undefined && age >= 0 && age < 60, `age ${age}`);
    // Process metrics, among them event-loop lag; no pool on SQLite.
    assert.ok(sampleValue(samples, 'nodejs_eventloop_lag_seconds') !== undefined);
    assert.equal(
      samples.some((s) => s.name.startsWith('portcullis_db_pool_')),
      false,
    );
  });

  test('an unmatched URL is counted under one label, never its path', async () => {
    await h.app.http.inject({ method: 'GET', url: '/no/such/path-with-a-secret-1234' });
    const { text, samples } = await scrape();
    assert.ok((sampleValue(samples, 'portcullis_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }) ?? 0) >= 1);
    assert.ok(!text.includes('path-with-a-secret-1234'));
  });
});
