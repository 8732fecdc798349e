import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { adminQuery } from '../helpers/postgres.js';
import { ThrowawayPostgres, requireServerBinaries } from '../helpers/throwaway-postgres.js';
import { waitFor } from '../helpers/wait.js';
import { Cluster, daemonToken } from './cluster.js';
import { measureRotation } from './propagation.js';
import { SteadyLoad, type Sample } from './steady-load.js';

/**
 * docs/deployment.md, "A real PostgreSQL restart under load": three `serve` processes on a PostgreSQL server of
 * the test's own (never the shared one on 5432), under steady refresh and revoke load, while
 * that server goes through `pg_ctl stop -m fast`, 2 s down, `pg_ctl start`. Checked over every
 * answer: during the outage only 503 with Retry-After (token endpoint: temporarily_unavailable,
 * Graph: serviceNotAvailable), never a 500 or any other error; each instance recovers by itself
 * within a bound, and is clean afterwards; I1 holds over the whole history; and the LISTEN
 * connections come back by themselves, so a key rotation after the restart arrives by NOTIFY.
 */
const DOWN_MS = 2_000;
const RECOVERY_BOUND_MS = 15_000;
const LIMITS = { maxRequests: 8_000, maxMs: 60_000, paceMs: 10, retryPauseMs: 100, revokeEveryMs: 250 };

function isExpectedError(s: Sample): boolean {
  const { status, body, retryAfter } = s.answer;
  if (status === 503) {
    if (retryAfter !== '1') return false;
    if (s.kind === 'revoke') return (body.error as { code?: string } | undefined)?.code === 'serviceNotAvailable';
    return body.error === 'temporarily_unavailable' && JSON.stringify(body.error_codes) === '[90033]';
  }
  // A refresh token of a revoked user: the revoker at work, the one 400 the load expects.
  return s.kind === 'refresh' && status === 400 && body.error === 'invalid_grant' && JSON.stringify(body.error_codes) === '[50173]';
}

async function listeners(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'portcullis-listen'",
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

if (requireServerBinaries('PostgreSQL restart during load')) {
  describe('PostgreSQL restart during load (a throwaway server of the test own)', () => {
    let server: ThrowawayPostgres;
    let cluster: Cluster;
    let url: string;

    before(async () => {
      server = await ThrowawayPostgres.start();
      await adminQuery('CREATE DATABASE portcullis', server.url());
      url = server.url('portcullis');
      cluster = await Cluster.start(url, 3);
    });
    after(async () => {
      await cluster?.stop();
      await server?.destroy();
    });

    test('503 only during the outage, recovery without restarting instances, I1 over every request', async () => {
      const admin = await daemonToken(cluster.instances[0]!.base);
      await waitFor('every instance to LISTEN', async () => (await listeners(url)) === 3, 10_000, 100);
      const load = new SteadyLoad(cluster, admin, LIMITS);
      let times: Awaited<ReturnType<ThrowawayPostgres['restart']>>;
      const recoveredAt: number[] = [];
      let relistenedAt = NaN;
      try {
        await sleep(2_500);
        times = await server.restart(DOWN_MS);
        const startedAt = times.startedAt;
        // Recovered: the instance answered a request that began after the server was back.
        await waitFor(
          'every instance to answer 200 again',
          () =>
            cluster.instances.every((_, i) =>
              load.samples.some((s) => s.instance === i && s.answer.status === 200 && s.start >= startedAt),
            ),
          RECOVERY_BOUND_MS,
          25,
        );
        for (let i = 0; i < cluster.instances.length; i++) {
          recoveredAt[i] = Math.min(
            ...load.samples.filter((s) => s.instance === i && s.answer.status === 200 && s.start >= startedAt).map((s) => s.end),
          );
        }
        // The dedicated LISTEN connections reconnect on their own backoff (100 ms doubling to 5 s).
        await waitFor('every instance to LISTEN again', async () => (await listeners(url)) === 3, RECOVERY_BOUND_MS, 50);
        relistenedAt = performance.now();
        await sleep(2_500);
        // On a slow (shared) machine the load may have done little so far: go on, bounded, until
        // the I1 check has enough refreshes and revokes to mean something.
        await waitFor(
          '100 accepted refreshes and 5 revokes',
          () => load.revokes.length >= 5 && load.attempts.filter((a) => a.accepted).length >= 100,
          60_000,
          100,
        );
      } finally {
        await load.stop();
      }

      const { samples } = load;
      const unexpected = samples.filter((s) => s.answer.status !== 200 && !isExpectedError(s));
      const unavailable = samples.filter((s) => s.answer.status === 503);
      const fiveXxOther = samples.filter((s) => s.answer.status >= 500 && s.answer.status !== 503);
      // A 503 belongs to the outage: it ended after the stop was asked for, and began before its instance recovered.
      const outside = unavailable.filter((s) => s.end < times!.stopAskedAt || s.start > recoveredAt[s.instance]!);
      const violations = load.violations();
      const at = (t: number) => Math.round(t - times!.stoppedAt);
      const okAfter = cluster.instances.map(
        (_, i) => samples.filter((s) => s.instance === i && s.answer.status === 200 && s.start > recoveredAt[i]!).length,
      );
      const report =
        `requests=${samples.length} ok=${samples.filter((s) => s.answer.status === 200).length} ` +
        `503=${unavailable.length} (token ${unavailable.filter((s) => s.kind !== 'revoke').length}, graph ${unavailable.filter((s) => s.kind === 'revoke').length}) ` +
        `revoked-400=${samples.filter((s) => s.answer.status === 400).length} other-5xx=${fiveXxOther.length} unexpected=${unexpected.length} | ` +
        `server down ${Math.round(times!.stoppedAt - times!.stopAskedAt)} ms after stop asked, back ${at(times!.startedAt)} ms after down; ` +
        `503s from ${at(Math.min(...unavailable.map((s) => s.end)))} to ${at(Math.max(...unavailable.map((s) => s.end)))} ms; ` +
        `instances recovered ${recoveredAt.map((t) => at(t) - at(times!.startedAt)).join('/')} ms after the server was back; ` +
        `LISTEN back on all ${at(relistenedAt) - at(times!.startedAt)} ms after; ok after recovery ${okAfter.join('/')} | I1 attempts=${load.attempts.length} revokes=${load.revokes.length} violations=${violations.length}`;
      console.log(`postgres restart under load: ${report}`);

      assert.deepEqual(
        unexpected
          .map((s) => ({ kind: s.kind, status: s.answer.status, body: s.answer.body, retryAfter: s.answer.retryAfter }))
          .slice(0, 5),
        [],
        report,
      );
      assert.equal(fiveXxOther.length, 0, report);
      assert.ok(unavailable.length > 0, `the outage must be seen by the load: ${report}`);
      assert.deepEqual(
        outside.map((s) => ({ instance: s.instance, start: at(s.start), end: at(s.end) })),
        [],
        report,
      );
      assert.deepEqual(violations, [], report);
      assert.ok(
        okAfter.every((n) => n > 0),
        report,
      );
      assert.ok(load.revokes.length >= 5 && load.attempts.filter((a) => a.accepted).length >= 100, report);
    });

    test('after the restart a key rotation still arrives by NOTIFY, not by the periodic reload', async () => {
      const p = await measureRotation(cluster, url, []);
      console.log(`postgres restart: key propagation after the restart max=${p.maxMs} ms (instances ${p.perInstanceMs.join('/')})`);
      // Well below the 30 s periodic reload: the re-established LISTEN delivered it.
      assert.ok(p.maxMs < 5_000, `propagation ${p.maxMs} ms`);
    });
  });
}
