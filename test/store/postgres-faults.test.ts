import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { makeAppConfig } from '../../src/config.js';
import type { User } from '../../src/core/model.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { APP, PASSWORD, PUBLIC_URL, TENANT_ID, WEB_SECRET, application, seedDirectory } from '../helpers/harness.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * Database faults (docs/deployment.md, "When the database is away"): the real app on the real PostgreSQL, reached through a real TCP
 * proxy that the test turns off (connection refused) or into a black hole (pool timeout). While
 * the database is away the token endpoint answers 503 temporarily_unavailable and the Graph API
 * 503 serviceNotAvailable, both with Retry-After; nothing is half-written; when it is back the
 * same app instance serves again without a restart.
 */
if (await requirePostgres('Database faults: PostgreSQL')) {
  describe('database faults: 503 with Retry-After, then recovery without restart', () => {
    let proxy: TcpProxy;
    let store: Store;
    let app: PortcullisApp;
    let users: Record<string, User>;
    let dropSchema: () => Promise<void>;

    before(async () => {
      const target = new URL(PG_TEST_URL);
      proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      const { schema, drop } = await freshSchema('portcullis_faults');
      dropSchema = drop;
      const viaProxy = new URL(PG_TEST_URL);
      viaProxy.port = String(proxy.port);
      // Short timeouts so the black-hole case answers within the test's bounds.
      store = await openPostgresStore({ url: viaProxy.toString(), schema, connectionTimeoutMs: 1_000, statementTimeoutMs: 2_000 });
      users = await seedDirectory(store, Date.now());
      app = await createApp({ config: makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent' }), store });
      await app.http.ready();
    });
    after(async () => {
      await app?.close();
      await store?.close();
      await proxy?.close();
      await dropSchema?.();
    });

    const token = (body: Record<string, string>) =>
      app.http.inject({
        method: 'POST',
        url: `/${TENANT_ID}/oauth2/v2.0/token`,
        payload: new URLSearchParams(body).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const signIn = () =>
      token({
        grant_type: 'password',
        client_id: APP.publicClient,
        username: 'alice@contoso.test',
        password: PASSWORD,
        scope: 'openid offline_access User.Read',
      });
    const adminToken = () =>
      app.services.tokens.issueAppOnly(application({ appId: APP.webApp, applicationPermissions: ['User.RevokeSessions.All'] })).accessToken;
    const revoke = (bearer: string) =>
      app.http.inject({
        method: 'POST',
        url: `/v1.0/users/${users.alice!.id}/revokeSignInSessions`,
        headers: { authorization: `Bearer ${bearer}` },
      });

    function assertTokenUnavailable(res: Awaited<ReturnType<typeof token>>): void {
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.headers['retry-after'], '1');
      const body = res.json();
      assert.equal(body.error, 'temporarily_unavailable');
      assert.deepEqual(body.error_codes, [90033]);
      assert.match(body.error_description, /^AADSTS90033: A transient error has occurred\. Please try again\.\r\nTrace ID: /);
      assert.doesNotMatch(res.body, /ECONNREFUSED|timeout|postgres/i, 'no internals on the wire');
    }

    function assertGraphUnavailable(res: Awaited<ReturnType<typeof revoke>>): void {
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.headers['retry-after'], '1');
      const body = res.json();
      assert.equal(body.error.code, 'serviceNotAvailable');
      assert.ok(body.error.innerError['request-id']);
      assert.doesNotMatch(res.body, /ECONNREFUSED|timeout|postgres/i, 'no internals on the wire');
    }

    for (const fault of ['refuse', 'blackhole'] as const) {
      test(`database ${fault === 'refuse' ? 'refusing connections' : 'not answering'}: 503s, no partial write, recovery`, async () => {
        const signedIn = await signIn();
        assert.equal(signedIn.statusCode, 200, signedIn.body);
        const rt = signedIn.json().refresh_token as string;
        const before = await store.users.findById(TENANT_ID, users.alice!.id);
        const audits = () =>
          store.audit
            .list({ tenantId: TENANT_ID, activityDisplayName: 'Update StsRefreshTokenValidFrom Timestamp', limit: 100 })
            .then((a) => a.length);
        const auditsBefore = await audits();
        const bearer = adminToken();

        await proxy[fault]();
        assertTokenUnavailable(await token({ grant_type: 'refresh_token', client_id: APP.publicClient, refresh_token: rt }));
        assertTokenUnavailable(await signIn());
        assertTokenUnavailable(
          await token({
            grant_type: 'client_credentials',
            client_id: APP.webApp,
            client_secret: WEB_SECRET,
            scope: 'https://graph.microsoft.com/.default',
          }),
        );
        assertGraphUnavailable(await revoke(bearer));

        await proxy.forward();
        // Nothing of the failed revoke was written: same epoch, no audit record.
        const now = await store.users.findById(TENANT_ID, users.alice!.id);
        assert.equal(now?.revocationEpoch, before?.revocationEpoch);
        assert.equal(await audits(), auditsBefore);
        // The refresh token refused with 503 was not consumed: it still rotates exactly once.
        const refreshed = await token({ grant_type: 'refresh_token', client_id: APP.publicClient, refresh_token: rt });
        assert.equal(refreshed.statusCode, 200, refreshed.body);
        const revoked = await revoke(bearer);
        assert.equal(revoked.statusCode, 200, revoked.body);
        assert.equal(await audits(), auditsBefore + 1);
        const after = await token({
          grant_type: 'refresh_token',
          client_id: APP.publicClient,
          refresh_token: refreshed.json().refresh_token as string,
        });
        assert.equal(after.statusCode, 400);
        assert.deepEqual(after.json().error_codes, [50173]);
      });
    }
  });
}
