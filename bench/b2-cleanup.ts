/**
 * B2 with the retention cleanup running (issue target: "cleanup of expired rows runs in the
 * background without pushing B2's revoke p99 above its figure by more than 20%"). Each round runs
 * B2 (bench/b2-revoke.ts: revokes under the refresh load, stale acceptances checked) twice on the
 * same build, on two `portcullis serve` processes, one after the other, each on its own copy of
 * one database seeded once. It holds the same users and `--rows` expired refresh tokens (one grant each) and as many
 * 120-day-old sign-in entries, added before the server starts (bench/lib/seed-expired.ts), so
 * both run on tables of the same size:
 *   - `without`: the cleanup is off (PORTCULLIS_CLEANUP_INTERVAL_SECONDS=0);
 *   - `with`: it runs every second (PORTCULLIS_CLEANUP_INTERVAL_SECONDS=1), deleting during the
 *     whole measurement. The rows left after the run are counted, to show the cleanup was still
 *     running when B2 ended (if none are left, raise --rows).
 * Prints revoke p50/p99 of each and the ratio with/without per round and of the medians.
 * Usage: node --import tsx bench/b2-cleanup.ts [--rounds n] [--rows n] [--duration ms] [--warmup ms]
 *        [--users n] [--dist DIR]
 */
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { b2Options, runB2, type B2Result } from './b2-revoke.js';
import { machine, numberOption, writeResult } from './lib/common.js';
import { requireBuild } from './lib/processes.js';
import { addExpiredRows } from './lib/seed-expired.js';
import { BENCH_TENANT, seedPortcullis } from './lib/seed-portcullis.js';
import { round, table } from './lib/stats.js';
import { startPortcullisOn } from './lib/targets.js';

const argv = process.argv.slice(2);
const rounds = numberOption(argv, 'rounds', 3);
const rows = numberOption(argv, 'rows', 200_000);
const b2 = b2Options(argv);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const DAY = 86_400_000;

/** Rows the cleanup still has to delete (sign-in entries and grants older than 100 days, expired refresh tokens). */
function leftToClean(dbFile: string): number {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const cutoff = Date.now() - 100 * DAY;
    const a = db.prepare('SELECT COUNT(*) AS n FROM sign_ins WHERE created_at < ?').get(cutoff) as { n: number };
    const b = db.prepare('SELECT COUNT(*) AS n FROM refresh_tokens WHERE expires_at < ?').get(cutoff) as { n: number };
    const c = db.prepare('SELECT COUNT(*) AS n FROM grants WHERE created_at < ?').get(cutoff) as { n: number };
    return a.n + b.n + c.n;
  } finally {
    db.close();
  }
}

/** Seeded once; each run gets a copy, so every run starts from the same file. */
const template = mkdtempSync(join(tmpdir(), 'portcullis-b2-cleanup-template-'));
let seeded: Awaited<ReturnType<typeof seedPortcullis>> | undefined;
let added = 0;

async function one(withCleanup: boolean): Promise<{ result: B2Result; left: number; added: number }> {
  if (!seeded) throw new Error('not seeded');
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-b2-cleanup-'));
  try {
    cpSync(template, dataDir, { recursive: true });
    const dbFile = join(dataDir, 'portcullis.db');
    // The server inherits this process's environment.
    process.env.PORTCULLIS_CLEANUP_INTERVAL_SECONDS = withCleanup ? '1' : '0';
    const running = await startPortcullisOn(
      dataDir,
      seeded.userIds,
      seeded.tokens.map((token, user) => ({ user, token, dead: false })),
      { workers: 1, dist: b2.dist },
    );
    try {
      const result = await runB2(b2, running);
      return { result, left: leftToClean(dbFile), added };
    } finally {
      await running.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

requireBuild();
console.log(`B2 with and without the retention cleanup: ${JSON.stringify({ rounds, rows, ...b2 })}`);
console.log(`machine: ${JSON.stringify(machine())}`);
const seedStarted = Date.now();
seeded = await seedPortcullis(template, b2.users);
addExpiredRows(join(template, 'portcullis.db'), BENCH_TENANT.id, seeded.userIds, Date.now(), rows, (m) => console.log(`  ${m}`));
added = leftToClean(join(template, 'portcullis.db'));
console.log(`seeded ${b2.users} users and ${added} rows to delete in ${Math.round((Date.now() - seedStarted) / 1000)} s, load ${load()}`);
const out: (string | number)[][] = [];
const p99 = { with: [] as number[], without: [] as number[] };
const results: unknown[] = [];
let stale = 0;
for (let r = 1; r <= rounds; r++) {
  for (const withRows of r % 2 === 1 ? [false, true] : [true, false]) {
    const before = load();
    const { result, left, added } = await one(withRows);
    stale += result.staleAcceptances;
    (withRows ? p99.with : p99.without).push(result.revokeLatencyMs.p99);
    results.push({ round: r, withRows, added, left, result });
    const line = [
      r,
      withRows ? 'on' : 'off',
      added,
      result.revokes,
      round(result.revokeLatencyMs.p50, 2),
      round(result.revokeLatencyMs.p99, 2),
      result.refreshRps,
      result.staleAcceptances,
      left,
      `${before} → ${load()}`,
    ];
    out.push(line);
    console.log(`  ${line.join(' | ')}`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  table(
    ['round', 'cleanup', 'rows to delete', 'revokes', 'revoke p50 ms', 'revoke p99 ms', 'refresh/s', 'stale', 'left after', 'load'],
    out,
  ),
);
const ratios = p99.with.map((w, i) => round(w / (p99.without[i] ?? Number.NaN), 2));
console.log(
  `revoke p99 with / without per round: ${ratios.join(', ')}; of the medians: ${round(median(p99.with) / median(p99.without), 2)}`,
);
console.log(`results: ${writeResult('b2-cleanup', { rounds, rows, options: b2, machine: machine(), results })}`);
rmSync(template, { recursive: true, force: true });
if (stale !== 0) process.exitCode = 1;
