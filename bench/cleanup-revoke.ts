/**
 * Retention cleanup under a revoke load (docs/sign-in-logs.md, "Retention and the cleanup job"):
 * a SQLite store holding `--rows` expired refresh tokens (one grant each, so the grants go too)
 * and as many old sign-in entries (3 × `--rows` rows to delete), cleaned by runRetention
 * (src/core/retention.ts) while revocations (`store.users.revoke`, group commit and fsync
 * included) run one after another, `--interval` ms apart. A database in a file is cleaned on its
 * own thread (src/store/sqlite/cleanup-worker.ts); `--in-loop` makes it purge in batches on the
 * event loop instead (the path of an in-memory database), for comparison in the same build.
 * The revokes without cleanup run for `--quiet` ms before it and as long again after it (the same
 * run, the machine's load on both sides), reported together.
 *
 * Prints revoke p50/p99 without and during the cleanup and their ratio, the cleanup's rows/s, and
 * CPU figures, which the machine's load moves far less than wall times: the process's CPU per
 * second of each phase, the event loop's utilisation, and the cleanup thread's CPU per deleted row.
 * Seeding is in SQL (bench/lib/seed-expired.ts): `--rows 3333334` seeds 10,000,002 rows to delete
 * (3.6 GB) in ~15 minutes on the loaded development machine. `--db FILE` runs on a database seeded
 * so before instead (its users and rows; the run deletes them and leaves FILE in place: pass a copy).
 * Usage: node --import tsx bench/cleanup-revoke.ts [--rows n | --db FILE] [--users n] [--interval ms] [--quiet ms]
 *          [--in-loop] [--batch n] [--pause ms]   (the last two: in-loop only)
 *          [--budget ms] [--tx-pause ms] [--yield-factor x] [--step rows]   (the cleanup thread's, cleanup-worker.ts)
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeAppConfig } from '../src/config.js';
import { RETENTION_BATCH, RETENTION_PAUSE_MS, runRetention } from '../src/core/retention.js';
import { CLEANUP_DEFAULTS } from '../src/store/sqlite/cleanup-worker.js';
import { SqliteDb } from '../src/store/sqlite/database.js';
import { sqliteStoreOn } from '../src/store/sqlite/open.js';
import { SqliteRetentionStore } from '../src/store/sqlite/sign-ins.js';
import type { CleanupReport, PurgeCursor, PurgeKind, RetentionStore } from '../src/store/store.js';
import { machine, numberOption, sleep, stringOption, writeResult } from './lib/common.js';
import { BENCH_TENANT as TENANT, seedExpired } from './lib/seed-expired.js';
import { round, summarise, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const rows = numberOption(argv, 'rows', 200_000);
const users = numberOption(argv, 'users', 1000);
const intervalMs = numberOption(argv, 'interval', 5);
const batch = numberOption(argv, 'batch', RETENTION_BATCH);
const pauseMs = numberOption(argv, 'pause', RETENTION_PAUSE_MS);
const quietMs = numberOption(argv, 'quiet', 3000);
const inLoop = argv.includes('--in-loop');
const worker = {
  budgetMs: numberOption(argv, 'budget', CLEANUP_DEFAULTS.budgetMs),
  pauseMs: numberOption(argv, 'tx-pause', CLEANUP_DEFAULTS.pauseMs),
  yieldFactor: numberOption(argv, 'yield-factor', CLEANUP_DEFAULTS.yieldFactor),
  stepRows: numberOption(argv, 'step', CLEANUP_DEFAULTS.stepRows),
};
const now = Date.now();
const load = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
const clock = () => new Date().toISOString().slice(11, 19);

/** CPU time of the main thread (Linux: /proc/self/task/<pid>/stat, 10 ms ticks), ms; NaN elsewhere. */
function mainThreadCpuMs(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(v[11]) + Number(v[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

interface Phase {
  wallMs: number;
  processCpuMs: number;
  mainCpuMs: number;
  elu: number;
}
function phase<T>(fn: () => Promise<T>): Promise<{ value: T; phase: Phase }> {
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuMs();
  const e0 = performance.eventLoopUtilization();
  return fn().then((value) => {
    const c = process.cpuUsage(c0);
    return {
      value,
      phase: {
        wallMs: performance.now() - w0,
        processCpuMs: (c.user + c.system) / 1000,
        mainCpuMs: mainThreadCpuMs() - m0,
        elu: performance.eventLoopUtilization(e0).utilization,
      },
    };
  });
}

const given = stringOption(argv, 'db', '');
const dir = mkdtempSync(join(tmpdir(), 'cleanup-revoke-'));
const file = given || join(dir, 'portcullis.db');
try {
  let userIds: string[];
  if (given) {
    const seededDb = new Database(given, { fileMustExist: true });
    userIds = (seededDb.prepare('SELECT id FROM users WHERE tenant_id = ? ORDER BY rowid').all(TENANT) as { id: string }[]).map(
      (r) => r.id,
    );
    seededDb.close();
    console.log(`${clock()} UTC, load ${load()}: ${given}, ${round(statSync(given).size / 2 ** 20, 0)} MiB, ${userIds.length} users`);
  } else {
    console.log(`${clock()} UTC, load ${load()}: seeding ${rows} expired refresh tokens, grants and sign-ins`);
    const seeded = performance.now();
    userIds = await seedExpired(file, now, rows, users, (m) => console.log(`  ${m}`));
    console.log(
      `${clock()} UTC, load ${load()}: seeded in ${round((performance.now() - seeded) / 1000, 1)} s, ${round(statSync(file).size / 2 ** 20, 0)} MiB`,
    );
  }

  const db = new SqliteDb(file);
  db.migrate(now);
  const store = sqliteStoreOn(db);
  const config = makeAppConfig({ publicUrl: 'https://bench.test' });
  let next = 0;
  const revokeLoop = async (until: () => boolean, ms: number[] = []): Promise<number[]> => {
    while (!until()) {
      const t0 = performance.now();
      await store.users.revoke(TENANT, userIds[next++ % userIds.length]!, Date.now(), { audit: [] });
      ms.push(performance.now() - t0);
      await sleep(intervalMs);
    }
    return ms;
  };
  const quietFor = () => {
    const until = performance.now() + quietMs;
    return phase(() => revokeLoop(() => performance.now() > until));
  };
  const loadStart = load();
  const startedAt = clock();
  const before = await quietFor();

  // The store's own retention: off the loop (cleanup thread) unless --in-loop, which leaves out
  // cleanOffLoop and times each purge (the pauses excluded) instead.
  const sqliteRetention = new SqliteRetentionStore(db);
  const purgeMs: Partial<Record<PurgeKind, number>> = {};
  const retention: RetentionStore = inLoop
    ? {
        purge: async (kind: PurgeKind, cutoff: number, limit: number, after?: PurgeCursor) => {
          const s0 = performance.now();
          const r = await sqliteRetention.purge(kind, cutoff, limit, after);
          purgeMs[kind] = (purgeMs[kind] ?? 0) + performance.now() - s0;
          return r;
        },
      }
    : { purge: (...a) => sqliteRetention.purge(...a), cleanOffLoop: (cutoffs) => db.startCleanup(cutoffs, worker)?.done ?? null };
  let done = false;
  let report: CleanupReport | null = null;
  const cleaning = runRetention(retention, config, now, batch, pauseMs, { onReport: (r) => (report = r) }).then((deleted) => {
    done = true;
    return deleted;
  });
  // A long run prints where it is every `--progress` ms: revokes so far during the cleanup, and (off the loop) rows deleted.
  const progressMs = numberOption(argv, 'progress', 60_000);
  const duringSoFar: number[] = [];
  const progress = setInterval(() => {
    const p = summarise(duringSoFar);
    const rep = retention.cleanOffLoop ? db.cleanupProgress() : null;
    const rowsSoFar = rep ? Object.values(rep.deleted).reduce((a, b) => a + b, 0) : Number.NaN;
    console.log(
      `  ${clock()} UTC, load ${load()}: ${p.count} revokes during the cleanup so far, p50 ${round(p.p50)} / p99 ${round(p.p99)} ms` +
        (rep ? `; ${rowsSoFar} rows deleted, ${rep.transactions} transactions` : ''),
    );
  }, progressMs);
  progress.unref();
  const during = await phase(() => revokeLoop(() => done, duringSoFar));
  clearInterval(progress);
  const deleted = await cleaning;
  const after = await quietFor();
  const loadEnd = load();
  await store.close();

  const quiet = [...before.value, ...after.value];
  const deletedRows = Object.values(deleted).reduce((a, b) => a + b, 0);
  const q = summarise(quiet);
  const d = summarise(during.value);
  const cpuLine = (name: string, p: Phase) => [
    name,
    round(p.wallMs / 1000, 1),
    round(p.processCpuMs / p.wallMs, 3),
    round(p.mainCpuMs / p.wallMs, 3),
    round(p.elu, 3),
  ];
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
    table(
      ['phase', 'wall s', 'process CPU s/s', 'main thread CPU s/s', 'event loop utilisation'],
      [cpuLine('before cleanup', before.phase), cpuLine('during cleanup', during.phase), cpuLine('after cleanup', after.phase)],
    ),
  );
  const mode = inLoop
    ? `in the event loop, batches of ${batch}, at least ${pauseMs} ms apart`
    : `on its own thread, transactions of ~${worker.budgetMs} ms, at least ${worker.pauseMs} ms and ${worker.yieldFactor}× apart`;
  console.log(
    `cleanup ${mode}: ${deletedRows} rows (${JSON.stringify(deleted)}) in ${round(during.phase.wallMs / 1000)} s, ` +
      `${round((deletedRows / during.phase.wallMs) * 1000, 0)} rows/s`,
  );
  const r = report as CleanupReport | null;
  if (r) {
    console.log(
      `  ${r.transactions} transactions, longest ${round(r.longestTransactionMs, 1)} ms; cleanup thread CPU ` +
        `${r.cpuMs == null ? 'n/a' : `${round(r.cpuMs / 1000, 1)} s = ${round((r.cpuMs * 1000) / Math.max(deletedRows, 1), 1)} µs/row`}`,
    );
  }
  for (const kind of Object.keys(deleted) as PurgeKind[]) {
    const n = deleted[kind];
    const ms = r ? r.busyMs[kind] : purgeMs[kind];
    if (n > 0 && ms !== undefined)
      console.log(
        `  ${kind}: ${n} rows, ${round(ms / 1000)} s inside ${r ? 'transactions' : 'purge'}, ${round((n / ms) * 1000, 0)} rows/s, ${round((ms * 1000) / n, 1)} µs/row`,
      );
  }
  console.log(`revoke p99 during / without cleanup: ${round(d.p99 / q.p99, 3)}; p50: ${round(d.p50 / q.p50, 3)}`);
  console.log(`${startedAt}–${clock()} UTC, load average ${loadStart} → ${loadEnd}`);
  writeResult('cleanup-revoke', {
    machine: machine(),
    rows,
    users,
    intervalMs,
    inLoop,
    batch,
    pauseMs,
    worker,
    quietMs,
    quiet: q,
    during: d,
    phases: { before: before.phase, during: during.phase, after: after.phase },
    deleted,
    report: r,
    purgeMs,
    load: { start: loadStart, end: loadEnd },
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
