import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, type JSONWebKeySet } from 'jose';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { LogoutReceiver, verifyLogoutToken } from '../helpers/logout-receiver.js';
import { freshDatabase, requirePostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';
import { Cluster, DOMAIN, PUBLIC_CLIENT, TENANT, USERS, daemonToken, passwordSignIn, revokeSessions } from './cluster.js';

/**
 * Back-channel logout (docs/push-revocation.md) on PostgreSQL: three `portcullis serve` processes, each running an outbox dispatcher,
 * share one database. Revokes are sent to instance A only; every logout token must reach the
 * receiver exactly once, whichever instance plans or sends it — also when the receiver fails
 * the first attempt, so that retries are up for grabs by all three dispatchers.
 */
if (await requirePostgres('Back-channel logout on a PostgreSQL cluster')) {
  describe('back-channel logout with three instances on one PostgreSQL database', () => {
    let db: { url: string; drop(): Promise<void> };
    let cluster: Cluster;
    let receiver: LogoutReceiver;

    before(async () => {
      receiver = await LogoutReceiver.start();
      // The first POST of every token fails (500): its retry may be claimed by any instance.
      receiver.respond = (_path, _n, sameJti) => (sameJti === 0 ? 500 : 200);
      db = await freshDatabase('portcullis_bcl_cluster');
      cluster = await Cluster.start(db.url, 3, ['--outbox-poll-ms', '100', '--outbox-backoff-ms', '200'], {
        publicClient: { backchannel_logout_uri: receiver.url('/bcl') },
      });
    });
    after(async () => {
      await cluster?.stop();
      await db?.drop();
      await receiver?.close();
    });

    test('a revoke on instance A is delivered exactly once although A, B and C all dispatch', async () => {
      const [a, b, c] = cluster.instances.map((i) => i.base) as [string, string, string];
      // Each user signs in on B and C (two grants, no browser session: one sub-only token each).
      const subs = new Map<string, string>();
      for (const u of USERS) {
        for (const base of [b, c]) {
          const r = await passwordSignIn(base, u);
          assert.equal(r.status, 200, JSON.stringify(r.body));
          subs.set(u, JSON.parse(Buffer.from(String(r.body.id_token).split('.')[1]!, 'base64url').toString()).sub);
        }
      }
      const admin = await daemonToken(a);
      for (const u of USERS) assert.equal((await revokeSessions(a, admin, u)).status, 200);

      await waitFor('one accepted token per user', () => receiver.accepted().length >= USERS.length, 60_000, 50);
      await new Promise((r) => setTimeout(r, 1500));
      const accepted = receiver.accepted();
      assert.equal(accepted.length, USERS.length, 'exactly one accepted POST per user');

      const config = (await (await fetch(`${a}/${TENANT}/v2.0/.well-known/openid-configuration`)).json()) as { issuer: string };
      const jwks = (await (await fetch(`${c}/${TENANT}/discovery/v2.0/keys`)).json()) as JSONWebKeySet;
      const seen = new Set<string>();
      const jtis = new Set<string>();
      for (const p of accepted) {
        const { payload } = await verifyLogoutToken(p.logoutToken!, jwks, { issuer: config.issuer, audience: PUBLIC_CLIENT });
        seen.add(payload.sub!);
        jtis.add(payload.jti!);
      }
      assert.deepEqual([...seen].sort(), [...subs.values()].sort());
      assert.equal(jtis.size, USERS.length);

      // Every delivery row settled once, as delivered, after exactly two attempts.
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query("SELECT status, attempts FROM outbox_deliveries WHERE sink = 'oidc-backchannel-logout'");
        assert.equal(rows.length, USERS.length);
        for (const r of rows) assert.deepEqual([r.status, r.attempts], ['delivered', 2]);
      } finally {
        await client.end();
      }
      assert.equal(receiver.posts.length, USERS.length * 2, 'one failed and one accepted POST per token, nothing more');
    });
  });
}

/**
 * PostgreSQL NOTIFY as the cross-instance wake-up: an event committed by another process (here
 * the test itself, through its own store) reaches an instance whose poll interval is ten minutes
 * — so a delivery within seconds can only come from the notification.
 */
if (await requirePostgres('Outbox wake-up by PostgreSQL NOTIFY')) {
  describe('outbox wake-up by PostgreSQL NOTIFY', () => {
    let db: { url: string; drop(): Promise<void> };
    let cluster: Cluster;
    let receiver: LogoutReceiver;

    before(async () => {
      receiver = await LogoutReceiver.start();
      db = await freshDatabase('portcullis_bcl_notify');
      cluster = await Cluster.start(db.url, 1, ['--outbox-poll-ms', '600000'], {
        publicClient: { backchannel_logout_uri: receiver.url('/bcl') },
      });
    });
    after(async () => {
      await cluster?.stop();
      await db?.drop();
      await receiver?.close();
    });

    test('an event committed by another process is delivered at once, not at the next poll', async () => {
      const [a] = cluster.instances.map((i) => i.base) as [string];
      const signIn = await passwordSignIn(a, USERS[0]!);
      assert.equal(signIn.status, 200);
      const store = await openPostgresStore({ url: db.url, poolMax: 2 });
      try {
        const user = (await store.users.findByUserPrincipalName(TENANT, `${USERS[0]}@${DOMAIN}`))!;
        await revokeUserSessions(store, systemClock, { target: user, actor: {}, correlationId: 'notify-test' });
      } finally {
        await store.close();
      }
      await waitFor('the logout token', () => receiver.accepted().length === 1, 20_000, 50);
      assert.equal(decodeJwt(receiver.accepted()[0]!.logoutToken!).aud, PUBLIC_CLIENT);
    });
  });
}
