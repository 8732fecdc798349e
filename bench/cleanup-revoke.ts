/**
 * Retention cleanup under a revoke load (docs/sign-in-logs.md, "Retention and the cleanup job"):
 * a SQLite store holding `--rows` expired refresh tokens (one grant each, so the grants go too)
 * and as many old sign-in entries, cleaned by runRetention (src/core/retention.ts) in its bounded
 * batches while revocations run one after another. Reports revoke latency without and with the
 * cleanup running, and the cleanup's rows per second: a revoke should wait for one batch at
 * most, never for the whole cleanup. The revokes without cleanup run for `--quiet` ms before it
 * and as long again after it (the same run, the machine's load on both sides), reported together.
 * Usage: node --import tsx bench/cleanup-revoke.ts [--rows n] [--users n] [--interval ms] [--batch n] [--pause ms] [--quiet ms]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeAppConfig } from '../src/config.js';
import { RETENTION_BATCH, RETENTION_PAUSE_MS, runRetention } from '../src/core/retention.js';
import type { PurgeKind } from '../src/store/store.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import { machine, numberOption, sleep, writeResult } from './lib/common.js';
import { BENCH_TENANT as TENANT, seedExpired } from './lib/seed-expired.js';
import { round, summarise, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const rows = numberOption(argv, 'rows', 200_000);
const users = numberOption(argv, 'users', 1000);
const intervalMs = numberOption(argv, 'interval', 5);
const batch = numberOption(argv, 'batch', RETENTION_BATCH);
const pauseMs = numberOption(argv, 'pause', RETENTION_PAUSE_MS);
const quietMs = numberOption(argv, 'quiet', 3000);
const now = Date.now();

const dir = mkdtempSync(join(tmpdir(), 'cleanup-revoke-'));
const file = join(dir, 'portcullis.db');
try {
  const userIds = await seedExpired(file, now, rows, users);

  const store = openSqliteStore(file, now);
  const config = makeAppConfig({ publicUrl: 'https://bench.test' });
  let next = 0;
  const revokeLoop = async (until: () => boolean): Promise<number[]> => {
    const ms: number[] = [];
    while (!until()) {
      const t0 = performance.now();
      await store.users.revoke(TENANT, userIds[next++ % users]!, Date.now(), { audit: [] });
      ms.push(performance.now() - t0);
      await sleep(intervalMs);
    }
    return ms;
  };
  const quietFor = async () => {
    const until = performance.now() + quietMs;
    return revokeLoop(() => performance.now() > until);
  };
  const before = await quietFor();
  let done = false;
  const t0 = performance.now();
  // Each kind's own time inside purge (the pauses excluded): rows/s per kind.
  const purgeMs: Partial<Record<PurgeKind, number>> = {};
  const timed = {
    purge: async (kind: PurgeKind, cutoff: number, limit: number) => {
      const s0 = performance.now();
      const n = await store.retention.purge(kind, cutoff, limit);
      purgeMs[kind] = (purgeMs[kind] ?? 0) + performance.now() - s0;
      return n;
    },
  };
  const cleaning = runRetention(timed, config, now, batch, pauseMs).then((deleted) => {
    done = true;
    return { deleted, ms: performance.now() - t0 };
  });
  const during = await revokeLoop(() => done);
  const cleanup = await cleaning;
  const after = await quietFor();
  await store.close();
  const quiet = [...before, ...after];
  const deletedRows = Object.values(cleanup.deleted).reduce((a, b) => a + b, 0);
  const q = summarise(quiet);
  const d = summarise(during);
  console.log(
    table(
      ['revokes', 'n', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['no cleanup (before + after)', q.count, round(q.p50), round(q.p99), round(q.max)],
        ['during cleanup', d.count, round(d.p50), round(d.p99), round(d.max)],
      ],
    ),
  );
  console.log(
    `cleanup: ${deletedRows} rows (${JSON.stringify(cleanup.deleted)}) in ${round(cleanup.ms / 1000)} s, ` +
      `${round((deletedRows / cleanup.ms) * 1000, 0)} rows/s, batches of ${batch}, at least ${pauseMs} ms apart`,
  );
  for (const [kind, ms] of Object.entries(purgeMs)) {
    const n = cleanup.deleted[kind as PurgeKind];
    if (n > 0)
      console.log(
        `  ${kind}: ${n} rows, ${round(ms / 1000)} s inside purge, ${round((n / ms) * 1000, 0)} rows/s, ${round((ms * 1000) / n, 1)} µs/row`,
      );
  }
  console.log(`revoke p99 during / without cleanup: ${round(d.p99 / q.p99, 3)}; p50: ${round(d.p50 / q.p50, 3)}`);
  writeResult('cleanup-revoke', {
    machine: machine(),
    rows,
    users,
    intervalMs,
    batch,
    pauseMs,
    quietMs,
    quiet: q,
    during: d,
    cleanup,
    purgeMs,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
