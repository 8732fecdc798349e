import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PG_TEST_URL, freshDatabase, requirePostgres } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USERS, daemonToken, seedJson } from '../scale/cluster.js';
import { freePort } from '../helpers/processes.js';
import { ServerProcess } from './server-process.js';
import { FaultLoad, describeVerdict, judge } from './fault-load.js';
import { killCount, seededRandom } from './seeded-random.js';

/**
 * docs/fault-injection.md, "PostgreSQL connections dropped mid-transaction": two `serve` processes on one PostgreSQL database, reached through a real TCP proxy,
 * under steady refresh and revoke load, while the test drops their database connections at random
 * moments (seeded; the seed is printed): the proxy cuts every open connection mid-transaction, or
 * PostgreSQL's pg_terminate_backend ends every backend of the database (the LISTEN ones too),
 * once every open connection goes silent without closing (a vanished host: only the server's
 * client-side query timeout can end those requests), and once the database refuses connections
 * for a second. Checked over every answer: only 200, 503
 * with Retry-After, and the 400s the load explains — never a 500; each instance serves again
 * without a restart; I1 holds over the whole history; every revoke that answered is in the
 * database afterwards (read directly, not through the proxy).
 */
const rng = seededRandom();
const FAULTS = killCount(20);
/** How long connections stay silent: longer than query_timeout (statement_timeout 5 s + 1 s) + 2 s. */
const STALL_MS = 10_000;

async function terminateBackends(database: string): Promise<number> {
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

async function epochs(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ upn: string; epoch: number }>(
      'SELECT user_principal_name AS upn, revocation_epoch::int AS epoch FROM users',
    );
    return new Map(rows.map((r) => [r.upn.split('@')[0]!, r.epoch]));
  } finally {
    await client.end();
  }
}

if (await requirePostgres('PostgreSQL connections dropped under load')) {
  describe('PostgreSQL connections dropped mid-transaction under load', () => {
    let db: { url: string; drop(): Promise<void> };
    let proxy: TcpProxy;
    const servers: ServerProcess[] = [];
    let dir: string;

    before(async () => {
      db = await freshDatabase('portcullis_drops');
      const direct = new URL(db.url);
      proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
      const viaProxy = new URL(db.url);
      viaProxy.port = String(proxy.port);
      dir = mkdtempSync(join(tmpdir(), 'portcullis-drops-'));
      const seedFile = join(dir, 'seed.json');
      writeFileSync(seedFile, seedJson());
      // Two instances behind one public URL, as behind a load balancer (test/scale/cluster.ts).
      const ports = [await freePort(), await freePort()];
      const extraArgs = ['--database-url', viaProxy.toString(), '--public-url', `http://127.0.0.1:${ports[0]}`];
      for (const [i, port] of ports.entries())
        servers.push(await ServerProcess.start({ dataDir: join(dir, `data-${i}`), seedFile, port, extraArgs }));
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.kill()));
      await proxy?.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test(`${FAULTS} random connection drops: 503 or success, recovery, I1, no answered revoke lost`, { timeout: 240_000 }, async () => {
      console.log(`postgres drops: seed ${rng.seed} (PORTCULLIS_FAULT_SEED=${rng.seed} replays it), ${FAULTS} faults`);
      const database = new URL(db.url).pathname.slice(1);
      const admin = await daemonToken(servers[0]!.base);
      const load = new FaultLoad({
        bases: () => servers.map((s) => s.base),
        users: USERS,
        adminToken: admin,
        maxMs: 90_000,
        maxRequests: 40_000,
        paceMs: 5,
        retryPauseMs: 100,
        revokeEveryMs: 60,
      });
      const injected = {
        proxyCut: 0,
        terminated: 0,
        refused1s: 0,
        stalled: 0,
        connectionsCut: 0,
        backendsTerminated: 0,
        connectionsStalled: 0,
      };
      let faultsEndedAt = 0;
      let stallStart = 0;
      let stallEnd = 0;
      try {
        await sleep(1_500);
        const outageAt = Math.floor(FAULTS / 2);
        const stallAt = Math.floor(FAULTS / 4);
        for (let k = 0; k < FAULTS; k++) {
          await sleep(rng.between(100, 500));
          if (k === outageAt) {
            await proxy.refuse();
            await sleep(1_000);
            await proxy.forward();
            injected.refused1s++;
          } else if (k === stallAt) {
            // Silent connections: only the server's own client-side timeout can end the requests
            // on them before the stall ends.
            stallStart = performance.now();
            injected.connectionsStalled += proxy.stall();
            injected.stalled++;
            await sleep(STALL_MS);
            stallEnd = performance.now();
          } else if (k === FAULTS - 1 || rng.next() < 0.5) {
            // The last fault is always a cut: it also ends whatever is still stalled.
            injected.connectionsCut += proxy.dropConnections();
            injected.proxyCut++;
          } else {
            injected.backendsTerminated += await terminateBackends(database);
            injected.terminated++;
          }
        }
        faultsEndedAt = performance.now();
        const recovered = (base: string) =>
          load.samples.some((s) => s.base === base && s.outcome.status === 200 && s.start >= faultsEndedAt);
        await waitFor('every instance to answer 200 again', () => servers.every((inst) => recovered(inst.base)), 15_000, 25).catch(
          (e: Error) => {
            const state = servers.map((inst) => {
              const last = load.samples.filter((s) => s.base === inst.base).slice(-4);
              const exit = inst.child.exitCode ?? inst.child.signalCode;
              return `${inst.base}: ${recovered(inst.base) ? 'recovered' : 'NOT recovered'}, ${exit === null ? 'running' : `exited ${exit}: ${inst.output.slice(-600)}`}, last answers ${JSON.stringify(last.map((s) => [s.kind, s.outcome.status, s.outcome.error ?? s.outcome.network, Math.round(s.start - faultsEndedAt)]))}`;
            });
            throw new Error(`${e.message}; ${state.join(' | ')}`);
          },
        );
        // On a slow (shared) machine most of the fault window can be outage; let the load go on
        // until enough revokes were answered for the I1 and lost-revoke checks to mean something.
        await waitFor('20 answered revokes', () => load.revokes.length >= 20, 30_000, 50);
        await sleep(1_500);
      } finally {
        await load.stop();
      }
      const verdict = judge(load.samples, { allowAmbiguousReplay: true });
      const violations = load.violations();
      const late = load.samples.filter((s) => s.start > faultsEndedAt + 5_000 && s.outcome.status !== 200 && s.outcome.status !== 400);
      // Requests in flight when the stall began, or begun in its first 2 s, could only have been
      // answered before it ended through the server's own query timeout: on a silent connection
      // nothing else comes.
      const hung = load.samples.filter((s) => s.start < stallStart + 2_000 && s.end > stallEnd);
      const stored = await epochs(db.url);
      const lost = USERS.filter((u) => (stored.get(u) ?? -1) < load.answeredRevokes(u));
      const phantom = USERS.filter((u) => (stored.get(u) ?? 0) > (load.revokesSent.get(u) ?? 0));
      const report =
        `faults ${JSON.stringify(injected)} | requests=${load.samples.length} ${describeVerdict(verdict)} | ` +
        `I1 attempts=${load.attempts.length} revokes answered=${load.revokes.length} violations=${violations.length} | lost revokes=${lost.length} phantom=${phantom.length}`;
      console.log(`postgres drops: ${report}`);
      assert.deepEqual(verdict.unexpected.slice(0, 5), [], report);
      assert.deepEqual(violations, [], report);
      assert.deepEqual(
        hung.map((s) => ({ kind: s.kind, ms: Math.round(s.end - s.start) })),
        [],
        `requests hung on silent connections: ${report}`,
      );
      assert.deepEqual(lost, [], `acknowledged revokes lost: ${report}`);
      assert.deepEqual(phantom, [], report);
      assert.deepEqual(late, [], `still failing 5 s after the last fault: ${report}`);
      assert.ok(verdict.unavailable > 0, `the faults must be seen by the load: ${report}`);
      assert.ok(load.revokes.length >= 5, report);
    });
  });
}
