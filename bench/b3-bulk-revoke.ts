/**
 * B3: bulk revocation of many users (target: 100,000, BENCHMARKS.md), in users revoked per second, two ways:
 *   - `batch`: this process sends Graph JSON batches (`POST /v1.0/$batch`, 20
 *     revokeSignInSessions requests each, the most Graph allows, https://learn.microsoft.com/graph/json-batching) with an app-only
 *     token holding User.RevokeSessions.All, `--concurrency` batches in flight;
 *   - `cli`: `portcullis revoke --yes --parallel N` (signed in app-only with the same app) reading
 *     the users from stdin, timed from spawn to exit (sign-in excluded), plus its own summary rate.
 * Each run starts a fresh server on a data directory seeded by the bulk loader (B4's), so every
 * user starts at epoch 0. Half of the users are named by object id and half by
 * userPrincipalName, as an incident list mixes them. Afterwards the database itself is checked:
 * every user's epoch was bumped exactly once and there is one audit record per user (a run that
 * lost or repeated a revoke fails). The run also waits until the outbox has planned every security
 * event the revokes wrote (the push fanned out; the dispatcher works behind the answers) and
 * reports that time and the server's CPU per user until then.
 * Usage: npm run bench:b3 -- [--users n] [--modes batch,cli] [--runs n] [--concurrency n]
 *        [--parallel n] [--dist DIR] [--compare DIR,...] [--cpu-prof DIR] [--pin] [--store sqlite|postgres]
 * --store postgres: one `portcullis serve --database-url` on a fresh database of the local
 * PostgreSQL server (bench/lib/seed-postgres.ts); the CPU figures cover Portcullis, not PostgreSQL.
 * --pin: the server on CPU 1, this process and the CLI on CPU 0 (taskset), so that on a shared
 * machine the load generator does not take the server's core.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { machine, numberOption, stringOption, writeResult } from './lib/common.js';
import { ROOT, cpuSeconds, pinSelf, requireBuild } from './lib/processes.js';
import { BENCH_ADMIN_APP, BENCH_ADMIN_SECRET, BENCH_TENANT } from './lib/seed-portcullis.js';
import { appOnlyToken } from './lib/app-token.js';
import { summariseProfile, type CpuProfile } from './profile-token.js';
import { table } from './lib/stats.js';
import { startPortcullis, startPortcullisPg, type Running } from './lib/targets.js';

export type B3Mode = 'batch' | 'cli';

export interface B3Options {
  users: number;
  modes: B3Mode[];
  runs: number;
  /** $batch calls in flight (batch mode). */
  concurrency: number;
  /** The CLI's --parallel (batches in flight, 1..16). */
  parallel: number;
  dist: string;
  /** Other builds (copies of dist/) to run interleaved with `dist` in every round: before/after. */
  compare: string[];
  /** Write a --cpu-prof of the server of every run into this directory and summarise it. */
  cpuProf: string;
  /** Server on CPU 1, the load generator (this process, the CLI) on CPU 0. */
  pin: boolean;
  store: 'sqlite' | 'postgres';
}

export interface B3Run {
  mode: B3Mode;
  build: string;
  run: number;
  users: number;
  seconds: number;
  usersPerSecond: number;
  /** CLI only: the rate its own summary line printed. */
  cliReportedUsersPerSecond: number | null;
  /** CPU seconds the server used during the revocations, per 1,000 users. */
  serverCpuMsPerUser: number;
  /**
   * Seconds from the start until the outbox had planned (fanned out) every security event the
   * revokes wrote, and the server's CPU per user until then: the revocation pushed, not only
   * committed. null if it did not finish within a minute of the last answer.
   */
  pushedSeconds: number | null;
  serverCpuMsPerUserPushed: number | null;
  /** Inner responses (or CLI results) that were not 200, by status. */
  failures: Record<string, number>;
  /** From the database afterwards: users at epoch 1 (must equal users) and audit records. */
  usersRevokedOnce: number;
  auditRecords: number;
  loadAverage: string;
}

export function b3Options(argv: readonly string[]): B3Options {
  const modes = stringOption(argv, 'modes', 'batch,cli').split(',').filter(Boolean) as B3Mode[];
  for (const m of modes) if (m !== 'batch' && m !== 'cli') throw new Error(`--modes: unknown mode '${m}'`);
  return {
    users: numberOption(argv, 'users', 100_000),
    modes,
    runs: numberOption(argv, 'runs', 1),
    concurrency: numberOption(argv, 'concurrency', 8),
    parallel: numberOption(argv, 'parallel', 8),
    dist: stringOption(argv, 'dist', 'dist'),
    cpuProf: stringOption(argv, 'cpu-prof', ''),
    compare: stringOption(argv, 'compare', '').split(',').filter(Boolean),
    pin: argv.includes('--pin'),
    store: stringOption(argv, 'store', 'sqlite') === 'postgres' ? 'postgres' : 'sqlite',
  };
}

const loadAverage = (): string => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return ''; // not Linux
  }
};

/** The users as the runs name them: even index by object id, odd by userPrincipalName. */
function targetsOf(running: Running, users: number): string[] {
  return running.userIds.slice(0, users).map((id, i) => (i % 2 === 0 ? id : `user${i}@${BENCH_TENANT.domain}`));
}

async function revokeThroughBatch(running: Running, targets: readonly string[], concurrency: number): Promise<Record<string, number>> {
  const pool = new Pool(running.origin, { connections: concurrency, pipelining: 1 });
  const failures: Record<string, number> = {};
  try {
    const token = await appOnlyToken(pool);
    let next = 0;
    const worker = async () => {
      // Bounded: each turn takes 20 users off the list; the loop ends when the list is empty.
      while (next < targets.length) {
        const chunk = targets.slice(next, next + 20);
        next += chunk.length;
        const requests = chunk.map((user, i) => ({
          id: String(i + 1),
          method: 'POST',
          url: `/users/${encodeURIComponent(user)}/revokeSignInSessions`,
          headers: { 'content-type': 'application/json' },
          body: {},
        }));
        const res = await pool.request({
          path: '/v1.0/$batch',
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ requests }),
        });
        const body = (await res.body.json()) as { responses?: { status: number }[] };
        if (res.statusCode !== 200 || !body.responses) {
          failures[`batch ${res.statusCode}`] = (failures[`batch ${res.statusCode}`] ?? 0) + chunk.length;
          continue;
        }
        for (const r of body.responses) if (r.status !== 200) failures[String(r.status)] = (failures[String(r.status)] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  return failures;
}

function runCli(
  args: string[],
  xdg: string,
  input: string | null,
  timeoutMs: number,
  cpus = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [command, argv] = cpus ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(command, argv, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: xdg, XDG_CONFIG_HOME: xdg },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

async function revokeThroughCli(
  running: Running,
  targets: readonly string[],
  o: B3Options,
  timed: (fn: () => Promise<void>) => Promise<void>,
  nodeArgs: readonly string[] = [],
): Promise<{ failures: Record<string, number>; reported: number | null }> {
  const xdg = mkdtempSync(join(tmpdir(), 'portcullis-b3-cli-'));
  const main = join(o.dist, 'cli/main.js');
  try {
    const login = await runCli(
      [
        main,
        'login',
        '--server',
        running.origin,
        '--tenant',
        BENCH_TENANT.id,
        '--client-id',
        BENCH_ADMIN_APP,
        '--client-secret',
        BENCH_ADMIN_SECRET,
      ],
      xdg,
      null,
      60_000,
    );
    if (login.code !== 0) throw new Error(`portcullis login failed (${login.code}): ${login.stderr}`);
    let run: Awaited<ReturnType<typeof runCli>> | undefined;
    await timed(async () => {
      run = await runCli(
        [...nodeArgs, main, 'revoke', '--yes', '--parallel', String(o.parallel)],
        xdg,
        targets.join('\n'),
        600_000,
        o.pin ? CLIENT_CPU : '',
      );
    });
    if (!run) throw new Error('the CLI did not run');
    const failures: Record<string, number> = {};
    if (run.code !== 0) failures[`exit ${run.code}`] = 1;
    let ok = 0;
    for (const line of run.stdout.split('\n')) {
      if (line === '') continue;
      if (line.endsWith('\tTrue')) ok++;
      else failures['False'] = (failures['False'] ?? 0) + 1;
    }
    if (ok !== targets.length) failures['missing results'] = targets.length - ok;
    const summary = /\((\d+) users\/s\)/.exec(run.stderr);
    if (run.code !== 0) console.error(run.stderr.slice(-2000));
    return { failures, reported: summary ? Number(summary[1]) : null };
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
}

const REVOKED_ONCE = 'SELECT count(*) AS n FROM users WHERE revocation_epoch = 1';
const UNPLANNED = 'SELECT count(*) AS n FROM security_events WHERE planned_at IS NULL';

/** Security events the outbox has not planned yet (read through a connection of its own). */
async function unplannedEvents(running: Running): Promise<number> {
  if (running.databaseUrl) {
    const client = new pg.Client({ connectionString: running.databaseUrl });
    await client.connect();
    try {
      return Number((await client.query(UNPLANNED)).rows[0]?.n);
    } finally {
      await client.end();
    }
  }
  const db = new Database(join(running.dataDir as string, 'portcullis.db'), { readonly: true });
  try {
    return (db.prepare(UNPLANNED).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Polls until every security event is planned; the seconds since `t0` then, or null after a minute. */
async function untilPushed(running: Running, t0: number): Promise<number | null> {
  const deadline = performance.now() + 60_000;
  // Bounded by the deadline; each poll is one count on its own connection.
  while (performance.now() < deadline) {
    if ((await unplannedEvents(running)) === 0) return (performance.now() - t0) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}
const REVOKE_AUDITS = `SELECT count(*) AS n FROM audit_records WHERE activity_display_name = 'Update StsRefreshTokenValidFrom Timestamp'`;

/** What the database says afterwards (read through its own connection). */
async function checkDatabase(running: Running): Promise<{ usersRevokedOnce: number; auditRecords: number }> {
  if (running.databaseUrl) {
    const client = new pg.Client({ connectionString: running.databaseUrl });
    await client.connect();
    try {
      const count = async (sql: string) => Number((await client.query(sql)).rows[0]?.n);
      return { usersRevokedOnce: await count(REVOKED_ONCE), auditRecords: await count(REVOKE_AUDITS) };
    } finally {
      await client.end();
    }
  }
  return checkSqlite(running);
}

/** SQLite: WAL readers see every commit. */
function checkSqlite(running: Running): { usersRevokedOnce: number; auditRecords: number } {
  const db = new Database(join(running.dataDir as string, 'portcullis.db'), { readonly: true });
  try {
    const once = db.prepare(REVOKED_ONCE).get() as { n: number };
    const audit = db.prepare(REVOKE_AUDITS).get() as { n: number };
    return { usersRevokedOnce: once.n, auditRecords: audit.n };
  } finally {
    db.close();
  }
}

/** With --pin: where the server runs, and where the load generator (this process, the CLI) runs. */
const SERVER_CPU = '1';
const CLIENT_CPU = '0';

export async function runB3Once(o: B3Options, mode: B3Mode, run: number, dist = o.dist): Promise<B3Run> {
  requireBuild();
  // One directory per mode, round and build, emptied first: the summary reads the one profile in it.
  const profDir = o.cpuProf ? join(o.cpuProf, `${mode}-${run}-${dist.replace(/[^\w.-]+/g, '_')}`) : '';
  if (profDir) rmSync(profDir, { recursive: true, force: true });
  const common = {
    users: o.users,
    dist,
    ...(o.pin ? { cpus: SERVER_CPU } : {}),
    ...(profDir ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] } : {}),
  };
  const running =
    o.store === 'postgres' ? await startPortcullisPg({ ...common, instances: 1 }) : await startPortcullis({ ...common, workers: 1 });
  try {
    const targets = targetsOf(running, o.users);
    let seconds = 0;
    let cpu = 0;
    let pushedSeconds: number | null = null;
    let cpuPushed = 0;
    const loadAtStart = loadAverage();
    const timed = async (fn: () => Promise<void>) => {
      const cpu0 = cpuSeconds(running.server.pids);
      const t0 = performance.now();
      await fn();
      seconds = (performance.now() - t0) / 1000;
      cpu = cpuSeconds(running.server.pids) - cpu0;
      pushedSeconds = await untilPushed(running, t0);
      cpuPushed = cpuSeconds(running.server.pids) - cpu0;
    };
    let failures: Record<string, number> = {};
    let reported: number | null = null;
    if (mode === 'batch') {
      await timed(async () => {
        failures = await revokeThroughBatch(running, targets, o.concurrency);
      });
    } else {
      // With --cpu-prof the CLI is profiled too (its own directory), as its CPU shares the machine with the server's.
      const cliProf = profDir ? ['--cpu-prof', '--cpu-prof-dir', join(profDir, 'cli')] : [];
      ({ failures, reported } = await revokeThroughCli(running, targets, { ...o, dist }, timed, cliProf));
    }
    const db = await checkDatabase(running);
    return {
      mode,
      build: dist,
      run,
      users: targets.length,
      seconds: Math.round(seconds * 100) / 100,
      usersPerSecond: Math.round(targets.length / seconds),
      cliReportedUsersPerSecond: reported,
      serverCpuMsPerUser: Math.round(((cpu * 1000) / targets.length) * 1000) / 1000,
      pushedSeconds: pushedSeconds === null ? null : Math.round((pushedSeconds as number) * 100) / 100,
      serverCpuMsPerUserPushed: pushedSeconds === null ? null : Math.round(((cpuPushed * 1000) / targets.length) * 1000) / 1000,
      failures,
      ...db,
      loadAverage: loadAtStart,
    };
  } finally {
    await running.stop();
    if (profDir) printProfile(profDir);
  }
}

function printProfile(dir: string): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return console.log(`no profile in ${dir}`);
  console.log(`profile: ${join(dir, file)}`);
  console.log(summariseProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, 30));
}

/**
 * Modes (and builds, with --compare) interleaved per round (batch, cli, batch, cli, …), so the
 * machine's load moves all of them alike and their ratios stay meaningful.
 */
export async function runB3(o: B3Options): Promise<B3Run[]> {
  const runs: B3Run[] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const mode of o.modes) {
      for (const dist of [o.dist, ...o.compare]) {
        const r = await runB3Once(o, mode, run, dist);
        console.log(
          `  ${mode} ${dist} run ${run}: ${r.usersPerSecond} users/s (${r.seconds} s), revoked once ${r.usersRevokedOnce}/${r.users}, load ${r.loadAverage}`,
        );
        runs.push(r);
      }
    }
  }
  return runs;
}

export function printB3(runs: readonly B3Run[], o: B3Options): string {
  return table(
    [
      'mode',
      'build',
      'run',
      'in flight',
      'users',
      'seconds',
      'users/s',
      'CLI says users/s',
      'server CPU ms/user',
      'all pushed after s',
      'server CPU ms/user until pushed',
      'failures',
      'epoch bumped once',
      'audit records',
      'load avg',
    ],
    runs.map((r) => [
      r.mode === 'batch' ? '$batch' : 'CLI',
      r.build,
      r.run,
      r.mode === 'batch' ? o.concurrency : o.parallel,
      r.users,
      r.seconds,
      r.usersPerSecond,
      r.cliReportedUsersPerSecond ?? '',
      r.serverCpuMsPerUser,
      r.pushedSeconds ?? 'not within 60 s',
      r.serverCpuMsPerUserPushed ?? '',
      JSON.stringify(r.failures),
      r.usersRevokedOnce,
      r.auditRecords,
      r.loadAverage,
    ]),
  );
}

/** Every run revoked every user exactly once, with its audit record, and nothing failed. */
export function b3Valid(runs: readonly B3Run[]): boolean {
  return runs.every(
    (r) => Object.keys(r.failures).length === 0 && r.usersRevokedOnce === r.users && r.auditRecords === r.users && r.pushedSeconds !== null,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = b3Options(process.argv.slice(2));
  const m = machine();
  console.log(`B3 bulk revocation: ${JSON.stringify(o)}\nmachine: ${JSON.stringify(m)}`);
  if (o.pin) await pinSelf(CLIENT_CPU);
  const runs = await runB3(o);
  console.log(printB3(runs, o));
  console.log(`results: ${writeResult('b3', { scenario: 'B3', options: o, machine: m, runs })}`);
  if (!b3Valid(runs)) {
    console.error('B3: some users were not revoked exactly once (see failures / epoch bumped once)');
    process.exitCode = 1;
  }
}
