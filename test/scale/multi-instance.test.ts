import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { i1Violations } from '../helpers/history.js';
import { freshDatabase, requirePostgres } from '../helpers/postgres.js';
import { Cluster, TENANT, USERS, daemonToken, passwordSignIn, refresh, revokeSessions, type Answer } from './cluster.js';

/**
 * Invariants I1 and I3 across instances (docs/deployment.md): three `portcullis serve` processes on one PostgreSQL database. Refresh chains hop
 * between instances round-robin, revokes go to random instances through the Graph API, and the
 * history checker of test/identity/invariants.test.ts verifies I1 and I2 over every request.
 * Then an instance is killed -9 right after it answered a revoke (I3 across instances).
 */
if (await requirePostgres('Multi-instance on PostgreSQL')) {
  describe('three instances on one PostgreSQL database', () => {
    let db: { url: string; drop(): Promise<void> };
    let cluster: Cluster;
    let admin: string;

    before(async () => {
      db = await freshDatabase('portcullis_cluster');
      cluster = await Cluster.start(db.url, 3);
      admin = await daemonToken(cluster.instances[1]!.base);
    });
    after(async () => {
      await cluster?.stop();
      await db?.drop();
    });

    test('instances started at once share one schema, one seed and one signing key', async () => {
      const jwks = await Promise.all(
        cluster.instances.map((i) =>
          fetch(`${i.base}/${TENANT}/discovery/v2.0/keys`).then((r) => r.json() as Promise<{ keys: { kid: string }[] }>),
        ),
      );
      const kids = jwks.map((j) => j.keys.map((k) => k.kid).join(','));
      assert.equal(new Set(kids).size, 1, `instances publish different JWKS: ${kids.join(' | ')}`);
      assert.equal(jwks[0]!.keys.length, 1);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        assert.equal((await client.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n, PG_MIGRATIONS.length);
        assert.equal((await client.query('SELECT count(*)::int AS n FROM users')).rows[0].n, USERS.length);
      } finally {
        await client.end();
      }
    });

    test('I1 + I2 across instances: history check over every request, zero 5xx', async () => {
      type Revoke = { user: string; start: number; end: number };
      type Attempt = { user: string; originDone: number; start: number; end: number; accepted: boolean; status: number };
      const revokes: Revoke[] = [];
      const attempts: Attempt[] = [];
      const signIns: { user: string; status: number }[] = [];
      const statuses: number[] = [];
      // Bounded by count (600 refreshes) and by time (90 s) on a two-core machine.
      const deadline = performance.now() + 90_000;
      const maxRequests = 600;
      let requests = 0;
      let hop = 0;
      let chainsDone = false;
      const nextBase = () => cluster.instances[hop++ % cluster.instances.length]!.base;
      const record = (a: Answer) => {
        statuses.push(a.status);
        return a;
      };

      /** Sign in, refresh (each time on the next instance) until refused, sign in again. */
      async function chain(user: string) {
        while (performance.now() < deadline && requests < maxRequests) {
          const s = record(await passwordSignIn(nextBase(), user));
          signIns.push({ user, status: s.status });
          if (s.status !== 200) continue;
          const originDone = performance.now();
          let rt = s.body.refresh_token as string;
          while (performance.now() < deadline && requests < maxRequests) {
            requests++;
            const start = performance.now();
            const r = record(await refresh(nextBase(), rt));
            const end = performance.now();
            attempts.push({ user, originDone, start, end, accepted: r.status === 200, status: r.status });
            if (r.status !== 200) {
              assert.equal(r.status, 400, JSON.stringify(r.body));
              assert.deepEqual(r.body.error_codes, [50173], JSON.stringify(r.body));
              break;
            }
            rt = r.body.refresh_token as string;
          }
        }
      }

      /** Revokes a user (round robin) on a random instance after every 20 refreshes. */
      async function revoker() {
        let i = 0;
        let lastAt = 0;
        while (!chainsDone && performance.now() < deadline) {
          if (requests - lastAt < 20) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          lastAt = requests;
          const user = USERS[i++ % USERS.length]!;
          const target = cluster.instances[Math.floor(Math.random() * cluster.instances.length)]!;
          const start = performance.now();
          const res = record(await revokeSessions(target.base, admin, user));
          const end = performance.now();
          assert.equal(res.status, 200, JSON.stringify(res.body));
          revokes.push({ user, start, end });
        }
      }

      const chains = Promise.all(USERS.flatMap((u) => [chain(u), chain(u)])).finally(() => (chainsDone = true));
      await Promise.all([chains, revoker()]);

      // I1: a refresh that started after a revoke of its user had answered (on ANY instance) is
      // refused when its grant was issued before that revoke started.
      const violations = i1Violations(attempts, revokes);
      const refused = attempts.filter((a) => !a.accepted).length;
      const fiveXx = statuses.filter((s) => s >= 500).length;
      const report =
        `instances=${cluster.instances.length} requests=${statuses.length} attempts=${attempts.length} accepted=${attempts.length - refused} ` +
        `refused=${refused} revokes=${revokes.length} signIns=${signIns.length} 5xx=${fiveXx}`;
      console.log(`multi-instance I1 history: ${report} violations=${violations.length}`);
      assert.deepEqual(violations, [], report);
      // I2: every sign-in worked, including those right after revokes, on whichever instance.
      assert.deepEqual(
        signIns.filter((s) => s.status !== 200),
        [],
        report,
      );
      assert.equal(fiveXx, 0, report);
      assert.ok(revokes.length >= 10, report);
      assert.ok(refused >= 10, `revokes must actually cut chains: ${report}`);
      assert.ok(attempts.length - refused >= 100, `chains must make progress: ${report}`);
    });

    test('I3 across instances: kill -9 right after a revoke answered; it holds on the others and after restart', async () => {
      const [a, b, c] = [cluster.instances[0], cluster.instances[1], cluster.instances[2]];
      const user = 'alice';
      const signedIn = await passwordSignIn(b!.base, user);
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      const rt = signedIn.body.refresh_token as string;
      const revoked = await revokeSessions(a!.base, admin, user);
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      await cluster.crash(0); // kill -9 the instance that answered, at once

      for (const other of [b!, c!]) {
        const r = await refresh(other.base, rt);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.deepEqual(r.body.error_codes, [50173]);
      }
      await cluster.restart(0);
      const again = await refresh(cluster.instances[0]!.base, rt);
      assert.equal(again.status, 400, JSON.stringify(again.body));
      assert.deepEqual(again.body.error_codes, [50173]);
      // I2 after the crash: a fresh sign-in on the restarted instance refreshes on another one.
      const fresh = await passwordSignIn(cluster.instances[0]!.base, user);
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      const next = await refresh(c!.base, fresh.body.refresh_token as string);
      assert.equal(next.status, 200, JSON.stringify(next.body));
      console.log(
        'multi-instance I3: revoke answered by instance 0, instance 0 killed -9; refused on instances 1 and 2 and on the restarted 0',
      );
    });
  });
}
