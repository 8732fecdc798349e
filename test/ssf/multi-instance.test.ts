import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { createApp, type PortcullisApp } from '../../src/app.js';
import { makeAppConfig } from '../../src/config.js';
import { SHARED_SIGNALS_PERMISSION } from '../../src/core/permissions.js';
import { DELIVERY } from '../../src/ssf/model.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import type { Store } from '../../src/store/store.js';
import { APP, TENANT_ID, application, seedDirectory } from '../helpers/harness.js';
import { PG_TEST_URL, freshSchema, requirePostgres } from '../helpers/postgres.js';
import { freePort } from '../helpers/processes.js';
import { PushReceiver, RX, ssfTestConfig, verifySet } from './ssf-helpers.js';
import type { User } from '../../src/core/model.js';

/**
 * Two instances on one PostgreSQL database, each with its outbox dispatcher and SSF push worker:
 * revokes made on either instance reach a push receiver exactly once each, whichever instance
 * happens to send them (the leases in ssf_stream_sets and outbox_deliveries).
 */
if (await requirePostgres('SSF on two instances')) {
  describe('SSF on two instances sharing PostgreSQL', () => {
    const instances: { app: PortcullisApp; store: Store; url: string }[] = [];
    let users: Record<string, User>;
    let drop: () => Promise<void>;

    before(async () => {
      const fresh = await freshSchema('portcullis_ssf_multi');
      drop = fresh.drop;
      const seeding = await openPostgresStore({ url: PG_TEST_URL, schema: fresh.schema });
      users = await seedDirectory(seeding, Date.now());
      await seeding.applications.upsert(application({ appId: RX.a, applicationPermissions: [SHARED_SIGNALS_PERMISSION] }));
      await seeding.close();
      // As behind a load balancer: one public URL (issuer) for both, each on its own port.
      let publicUrl = '';
      for (let i = 0; i < 2; i++) {
        const store = await openPostgresStore({ url: PG_TEST_URL, schema: fresh.schema });
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        publicUrl ||= url;
        const app = await createApp({ config: makeAppConfig({ publicUrl, logLevel: 'silent', ssf: ssfTestConfig() }), store });
        await app.http.listen({ host: '127.0.0.1', port });
        instances.push({ app, store, url });
      }
    });
    after(async () => {
      for (const i of instances) {
        await i.app.close();
        await i.store.close();
      }
      await drop?.();
    });

    test('every revoke, on either instance, is pushed exactly once', async () => {
      const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
      const rx = await PushReceiver.start();
      try {
        // Both instances sign with the same key and answer for the same issuer path.
        const receiver = a.app.services.tokens.issueAppOnly(
          application({ appId: RX.a, applicationPermissions: [SHARED_SIGNALS_PERMISSION] }),
        ).accessToken;
        const created = await b.app.http.inject({
          method: 'POST',
          url: `/${TENANT_ID}/ssf/streams`,
          headers: { authorization: `Bearer ${receiver}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ delivery: { method: DELIVERY.push, endpoint_url: rx.url } }),
        });
        assert.equal(created.statusCode, 201, created.body);
        const admin = a.app.services.tokens.issueAppOnly(
          application({ appId: APP.webApp, applicationPermissions: ['User.RevokeSessions.All'] }),
        ).accessToken;
        const targets = ['alice', 'bob', 'globaladmin', 'useradmin', 'helpdesk', 'authadmin'];
        for (const [n, key] of targets.entries()) {
          const via = n % 2 === 0 ? a : b;
          const res = await fetch(`${via.url}/v1.0/users/${users[key]!.id}/revokeSignInSessions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
            body: '{}',
          });
          assert.equal(res.status, 200);
        }
        await rx.waitForCount(targets.length, 20_000);
        await sleep(500); // quiet: no duplicate may follow
        assert.equal(rx.received.length, targets.length);
        const jwks = a.app.services.keys.jwks() as { keys: any[] };
        const subjects = rx.received.map(
          (r) => verifySet(r.body, jwks, { iss: a.app.services.tokens.issuer, aud: RX.a }).payload.sub_id.user.id,
        );
        assert.deepEqual([...subjects].sort(), targets.map((k) => users[k]!.id).sort());
      } finally {
        await rx.close();
      }
    });

    test('a poll held open on one instance returns the SET of a revoke made on the other', async () => {
      const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
      const receiver = b.app.services.tokens.issueAppOnly(
        application({ appId: RX.a, applicationPermissions: [SHARED_SIGNALS_PERMISSION] }),
      ).accessToken;
      const headers = { authorization: `Bearer ${receiver}`, 'content-type': 'application/json' };
      const created = await fetch(`${b.url}/${TENANT_ID}/ssf/streams`, { method: 'POST', headers, body: '{}' });
      const { stream_id } = (await created.json()) as { stream_id: string };
      const pollOnB = fetch(`${b.url}/${TENANT_ID}/ssf/poll/${stream_id}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ returnImmediately: false }),
      });
      await sleep(200);
      const admin = a.app.services.tokens.issueAppOnly(
        application({ appId: APP.webApp, applicationPermissions: ['User.RevokeSessions.All'] }),
      ).accessToken;
      const res = await fetch(`${a.url}/v1.0/users/${users.bob!.id}/revokeSignInSessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 200);
      // Within pollWaitSeconds (2 s here): instance B re-reads its queue while it holds the poll.
      const got = (await (await pollOnB).json()) as { sets: Record<string, string> };
      const sets = Object.values(got.sets).map((set) =>
        verifySet(set, a.app.services.keys.jwks() as { keys: any[] }, { iss: a.app.services.tokens.issuer, aud: RX.a }),
      );
      assert.equal(sets.length, 1);
      assert.equal(sets[0]!.payload.sub_id.user.id, users.bob!.id);
    });
  });
}
