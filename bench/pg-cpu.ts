/**
 * CPU per refresh, pinned (BENCHMARKS.md, "PostgreSQL pinned: CPU per refresh"): the Portcullis
 * process(es) on CPU 0; this process (the load generator) and the PostgreSQL backends that serve
 * Portcullis on CPU 1 (the backends are found in pg_stat_activity once the pools have connected,
 * and pinned with `taskset -p`; the postmaster and its shared background processes are left
 * alone, other work on the machine uses them). Per round, in this order, each on a freshly seeded
 * server: SQLite (`portcullis serve`), PostgreSQL × each instance count, the builds given to
 * `--compare` on PostgreSQL × 1, and node-oidc-provider (also on CPU 0). Per run: refresh/s,
 * p50/p99, and CPU seconds per 1,000 refreshes of the Portcullis processes and of their PostgreSQL
 * backends (utime + stime from /proc/<pid>/stat over the measured window), transactions per
 * refresh (pg_stat_database), and `uptime`, since other work on a shared machine moves
 * throughput but hardly CPU per refresh. `--b2` adds B2 (revokes while refreshing, the history
 * check) on each pinned PostgreSQL × 1 build. `--cpu-prof DIR` profiles the first PostgreSQL × 1
 * instance of every round and prints the profile's summary. `--count-queries` loads
 * servers/count-pg-queries.mjs into the PostgreSQL instances and prints the statements (each one
 * round trip) they sent per refresh, by text.
 * Usage: node --import tsx bench/pg-cpu.ts [--duration ms] [--warmup ms] [--rounds n] [--users n]
 *        [--concurrency n] [--instances 1,2] [--systems sqlite,pg,peer] [--compare DIR,...]
 *        [--pool-max n] [--b2] [--interval ms] [--cpu-prof DIR] [--count-queries]
 *        [--pg-settings synchronous_commit=off,commit_delay=100] (this run's databases only) [--idle ms]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runB2 } from './b2-revoke.js';
import { type CpuProfile, summariseProfile } from './profile-token.js';
import { machine, numberOption, sleep, stringOption, writeResult } from './lib/common.js';
import { runClosedLoop } from './lib/loadgen.js';
import { ROOT, hasTaskset, pinSelf, requireBuild } from './lib/processes.js';
import { median, round, summarise, table } from './lib/stats.js';
import { type Running, startPeer, startPortcullis, startPortcullisPg } from './lib/targets.js';

const PORTCULLIS_CPU = '0';
const LOAD_AND_PG_CPU = '1';
const TICKS_PER_SECOND = 100; // USER_HZ

interface Options {
  durationMs: number;
  warmupMs: number;
  rounds: number;
  users: number;
  concurrency: number;
  instances: number[];
  systems: string[];
  compare: string[];
  poolMax: number;
  b2: boolean;
  intervalMs: number;
  cpuProf: string;
  countQueries: boolean;
  /** --pg-settings k=v,k=v: ALTER DATABASE ... SET on each run's fresh database. */
  pgSettings: Record<string, string>;
  idleMs: number;
}

function options(argv: readonly string[]): Options {
  return {
    durationMs: numberOption(argv, 'duration', 5000),
    warmupMs: numberOption(argv, 'warmup', 1500),
    rounds: numberOption(argv, 'rounds', 2),
    users: numberOption(argv, 'users', 5000),
    concurrency: numberOption(argv, 'concurrency', 16),
    instances: stringOption(argv, 'instances', '1,2')
      .split(',')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n >= 1),
    systems: stringOption(argv, 'systems', 'sqlite,pg,peer').split(','),
    compare: stringOption(argv, 'compare', '').split(',').filter(Boolean),
    poolMax: numberOption(argv, 'pool-max', 8),
    b2: argv.includes('--b2'),
    intervalMs: numberOption(argv, 'interval', 20),
    cpuProf: stringOption(argv, 'cpu-prof', ''),
    countQueries: argv.includes('--count-queries'),
    idleMs: numberOption(argv, 'idle', 2000),
    pgSettings: Object.fromEntries(
      stringOption(argv, 'pg-settings', '')
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('=') as [string, string]),
    ),
  };
}

interface Run {
  round: number;
  variant: string;
  rps: number;
  ok: number;
  errors: Record<string, number>;
  p50: number;
  p99: number;
  /** CPU seconds per 1,000 successful refreshes. */
  portcullisCpuPer1k: number;
  /**
   * CPU the Portcullis processes used per second with no load, measured just before it (timers:
   * the outbox poll, the key refresher; ms per s), and the per-1k figure without it. On a machine
   * so busy that a run reaches tens of refreshes per second, that fixed cost is a large part.
   */
  portcullisIdleMsPerSecond: number;
  portcullisNetCpuPer1k: number;
  pgCpuPer1k: number | null;
  totalCpuPer1k: number;
  /** PostgreSQL transactions (commits + rollbacks) per refresh, from pg_stat_database. */
  xactPerRefresh: number | null;
  pgBackends: number | null;
  /** --count-queries: statements (round trips) the Portcullis processes sent per refresh, by text. */
  statementsPerRefresh: number | null;
  statements: Record<string, number> | null;
  uptime: string;
}

function ticks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

const uptime = (): string => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');
  } catch {
    return '';
  }
};

/** The backends that serve the Portcullis pools of one bench database, seen from a probe connection. */
class Backends {
  private readonly client: pg.Client;
  /** CPU ticks of each backend when the measured window began (0 for one that connected later). */
  private readonly start = new Map<number, number>();
  private readonly pinned = new Set<number>();
  constructor(url: string) {
    this.client = new pg.Client({ connectionString: url, application_name: 'portcullis-bench-probe' });
    this.client.on('error', () => undefined);
  }
  connect = () => this.client.connect();
  close = () => this.client.end().catch(() => undefined);
  async pids(): Promise<number[]> {
    const { rows } = await this.client.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'portcullis'`,
    );
    return rows.map((r) => Number(r.pid));
  }
  async pin(): Promise<number[]> {
    const pids = await this.pids();
    for (const pid of pids) {
      if (this.pinned.has(pid) || !hasTaskset()) continue;
      spawnSync('taskset', ['-p', '-c', LOAD_AND_PG_CPU, String(pid)], { stdio: 'ignore' });
      this.pinned.add(pid);
    }
    return pids;
  }
  async markStart(): Promise<void> {
    for (const pid of await this.pin()) this.start.set(pid, ticks(pid) ?? 0);
  }
  /** CPU seconds since markStart over every backend seen (one that connected since counts whole). */
  async cpuSince(): Promise<{ seconds: number; backends: number }> {
    const pids = new Set([...this.start.keys(), ...(await this.pids())]);
    let t = 0;
    for (const pid of pids) {
      const now = ticks(pid);
      if (now !== null) t += now - (this.start.get(pid) ?? 0);
    }
    return { seconds: t / TICKS_PER_SECOND, backends: pids.size };
  }
  async transactions(): Promise<number> {
    const { rows } = await this.client.query(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]?.n ?? 0);
  }
}

async function measure(running: Running, o: Options, roundNo: number, variant: string): Promise<Run> {
  const pids = running.server.pids;
  const backends = running.databaseUrl ? new Backends(running.databaseUrl) : null;
  await backends?.connect();
  const mainStart = new Map<number, number>();
  let xactStart = 0;
  // First the idle cost: the server's CPU with no load, over --idle ms.
  const up = uptime();
  const idleFrom = pids.reduce((a, pid) => a + (ticks(pid) ?? 0), 0);
  const idleStart = performance.now();
  await sleep(o.idleMs);
  const idleSeconds = (pids.reduce((a, pid) => a + (ticks(pid) ?? 0), 0) - idleFrom) / TICKS_PER_SECOND;
  const idlePerSecond = idleSeconds / Math.max(0.001, (performance.now() - idleStart) / 1000);
  // Pin the backends as soon as the pools have connected, then mark the window's start.
  const counting = o.countQueries && backends !== null;
  const pinner = setTimeout(() => void backends?.pin().catch(() => undefined), Math.min(500, o.warmupMs / 2));
  const marker = setTimeout(() => {
    for (const pid of pids) mainStart.set(pid, ticks(pid) ?? 0);
    if (counting) for (const pid of pids) process.kill(pid, 'SIGUSR2');
    if (backends) {
      void backends.markStart().catch(() => undefined);
      void backends
        .transactions()
        .then((n) => {
          xactStart = n;
        })
        .catch(() => undefined);
    }
  }, o.warmupMs);
  try {
    const r = await runClosedLoop(running.target, running.chains, {
      concurrency: o.concurrency,
      durationMs: o.durationMs,
      warmupMs: o.warmupMs,
      maxRequests: 1_000_000,
    });
    clearTimeout(pinner);
    clearTimeout(marker);
    let portcullisTicks = 0;
    for (const pid of pids) portcullisTicks += (ticks(pid) ?? 0) - (mainStart.get(pid) ?? 0);
    if (counting) for (const pid of pids) process.kill(pid, 'SIGUSR2');
    const pgCpu = backends ? await backends.cpuSince() : null;
    // pg_stat_database lags by up to a second (backends flush their counters at most once a second).
    if (backends) await sleep(1500);
    const xact = backends ? (await backends.transactions()) - xactStart : null;
    const statements = counting ? statementCounts(pids, r.ok) : null;
    const per1k = (s: number) => round((s / Math.max(1, r.ok)) * 1000, 3);
    const portcullisCpu = portcullisTicks / TICKS_PER_SECOND;
    const lat = summarise(r.latenciesMs);
    return {
      round: roundNo,
      variant,
      rps: round(r.rps, 1),
      ok: r.ok,
      errors: r.errors,
      p50: round(lat.p50),
      p99: round(lat.p99),
      portcullisCpuPer1k: per1k(portcullisCpu),
      portcullisIdleMsPerSecond: round(idlePerSecond * 1000, 1),
      portcullisNetCpuPer1k: per1k(Math.max(0, portcullisCpu - idlePerSecond * (r.elapsedMs / 1000))),
      pgCpuPer1k: pgCpu ? per1k(pgCpu.seconds) : null,
      totalCpuPer1k: per1k(portcullisCpu + (pgCpu?.seconds ?? 0)),
      xactPerRefresh: xact === null ? null : round(xact / Math.max(1, r.ok), 2),
      pgBackends: pgCpu?.backends ?? null,
      statementsPerRefresh: statements
        ? round(
            Object.values(statements).reduce((a, b) => a + b, 0),
            2,
          )
        : null,
      statements,
      uptime: up,
    };
  } finally {
    await backends?.close();
  }
}

/** The preload's counts (servers/count-pg-queries.mjs) over the window, per successful refresh. */
function statementCounts(pids: readonly number[], ok: number): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const pid of pids) {
    const file = `/tmp/portcullis-pg-queries-${pid}.json`;
    try {
      for (const [k, v] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>)) sum[k] = (sum[k] ?? 0) + v;
      rmSync(file, { force: true });
    } catch {
      /* not written */
    }
  }
  return Object.fromEntries(
    Object.entries(sum)
      .map(([k, v]) => [k, round(v / Math.max(1, ok), 3)] as const)
      .sort((a, b) => b[1] - a[1]),
  );
}

function printProfile(dir: string, log: (line: string) => void): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return log(`  no profile in ${dir}`);
  log(`  profile: ${join(dir, file)}`);
  log(summariseProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, 25));
}

export async function runPgCpu(o: Options, log: (line: string) => void = console.log) {
  requireBuild();
  await pinSelf(LOAD_AND_PG_CPU);
  const runs: Run[] = [];
  const b2: { round: number; variant: string; revokes: number; p50: number; p99: number; stale: number; rps: number; uptime: string }[] =
    [];
  const say = (r: Run) =>
    log(
      `  round ${r.round} ${r.variant}: ${r.rps} refresh/s p50 ${r.p50} ms p99 ${r.p99} ms; CPU s/1k refreshes Portcullis ${r.portcullisCpuPer1k} (net of idle ${r.portcullisNetCpuPer1k}; idle ${r.portcullisIdleMsPerSecond} ms/s) PostgreSQL ${r.pgCpuPer1k ?? '-'} total ${r.totalCpuPer1k}; xact/refresh ${r.xactPerRefresh ?? '-'} ${JSON.stringify(r.errors)} (${r.uptime})`,
    );
  const pgBuilds = [{ label: '', dist: 'dist' }, ...o.compare.map((dist) => ({ label: `@${dist}`, dist }))];
  for (let roundNo = 1; roundNo <= o.rounds; roundNo++) {
    if (o.systems.includes('sqlite')) {
      const s = await startPortcullis({ users: o.users, workers: 1, cpus: PORTCULLIS_CPU });
      const r = await measure(s, o, roundNo, 'sqlite').finally(() => s.stop());
      runs.push(r);
      say(r);
      await sleep(300);
    }
    if (o.systems.includes('pg')) {
      for (const build of pgBuilds) {
        for (const n of build.label ? [1] : o.instances) {
          const profDir = o.cpuProf && n === 1 && !build.label ? join(ROOT, o.cpuProf, `round-${roundNo}`) : '';
          if (profDir) {
            rmSync(profDir, { recursive: true, force: true });
            mkdirSync(profDir, { recursive: true });
          }
          const s = await startPortcullisPg({
            users: o.users,
            instances: n,
            dist: build.dist,
            poolMax: o.poolMax,
            cpus: PORTCULLIS_CPU,
            databaseSettings: o.pgSettings,
            nodeArgs: [
              ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
              ...(o.countQueries ? ['--import', join(ROOT, 'bench/servers/count-pg-queries.mjs')] : []),
            ],
          });
          const r = await measure(s, o, roundNo, `pg×${n}${build.label}`).finally(() => s.stop());
          runs.push(r);
          say(r);
          if (r.statements) log(`    statements per refresh ${r.statementsPerRefresh}: ${JSON.stringify(r.statements)}`);
          if (profDir) printProfile(profDir, log);
          await sleep(300);
        }
        if (o.b2) {
          const s = await startPortcullisPg({
            users: o.users,
            instances: 1,
            dist: build.dist,
            poolMax: o.poolMax,
            cpus: PORTCULLIS_CPU,
            databaseSettings: o.pgSettings,
          });
          const up = uptime();
          const backends = new Backends(s.databaseUrl as string);
          await backends.connect();
          const pinner = setInterval(() => void backends.pin().catch(() => undefined), 500);
          const r = await runB2(
            {
              durationMs: o.durationMs,
              warmupMs: o.warmupMs,
              users: o.users,
              concurrency: o.concurrency,
              workers: 1,
              intervalMs: o.intervalMs,
              dist: build.dist,
            },
            s,
          ).finally(async () => {
            clearInterval(pinner);
            await backends.close();
            await s.stop();
          });
          const row = {
            round: roundNo,
            variant: `pg×1${build.label}`,
            revokes: r.revokes,
            p50: round(r.revokeLatencyMs.p50),
            p99: round(r.revokeLatencyMs.p99),
            stale: r.staleAcceptances,
            rps: round(r.refreshRps, 1),
            uptime: up,
          };
          b2.push(row);
          log(
            `  round ${roundNo} B2 ${row.variant}: ${row.revokes} revokes p50 ${row.p50} ms p99 ${row.p99} ms; ${row.rps} refresh/s meanwhile; stale ${row.stale} (${up})`,
          );
          await sleep(300);
        }
      }
    }
    if (o.systems.includes('peer')) {
      const s = await startPeer({ users: o.users, cpus: PORTCULLIS_CPU });
      const r = await measure(s, o, roundNo, 'oidc-provider').finally(() => s.stop());
      runs.push(r);
      say(r);
      await sleep(300);
    }
  }
  const variants = [...new Set(runs.map((r) => r.variant))];
  const inRound = (roundNo: number, variant: string) => runs.find((r) => r.round === roundNo && r.variant === variant);
  const summary = variants.map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    const ratios = (other: string, f: (r: Run) => number) =>
      mine.map((r) => {
        const x = inRound(r.round, other);
        return x ? round(f(r) / f(x)) : Number.NaN;
      });
    return {
      variant,
      rps: median(mine.map((r) => r.rps)),
      p50: median(mine.map((r) => r.p50)),
      p99: median(mine.map((r) => r.p99)),
      portcullisCpuPer1k: median(mine.map((r) => r.portcullisCpuPer1k)),
      portcullisNetCpuPer1k: median(mine.map((r) => r.portcullisNetCpuPer1k)),
      pgCpuPer1k: mine[0]?.pgCpuPer1k === null ? null : median(mine.map((r) => r.pgCpuPer1k ?? 0)),
      totalCpuPer1k: median(mine.map((r) => r.totalCpuPer1k)),
      xactPerRefresh: mine[0]?.xactPerRefresh === null ? null : median(mine.map((r) => r.xactPerRefresh ?? 0)),
      cpuVsSqlite: ratios('sqlite', (r) => r.totalCpuPer1k),
      rpsVsPeer: ratios('oidc-provider', (r) => r.rps),
    };
  });
  return { runs, b2, summary };
}

export function printPgCpu(r: Awaited<ReturnType<typeof runPgCpu>>): string {
  const dash = (v: number | null) => (v === null ? '-' : v);
  return [
    table(
      [
        'round',
        'system',
        'refresh/s',
        'p50 ms',
        'p99 ms',
        'Portcullis CPU s/1k',
        'net of idle',
        'idle ms/s',
        'PostgreSQL CPU s/1k',
        'total CPU s/1k',
        'xact/refresh',
        'errors',
        'uptime',
      ],
      r.runs.map((x) => [
        x.round,
        x.variant,
        x.rps,
        x.p50,
        x.p99,
        x.portcullisCpuPer1k,
        x.portcullisNetCpuPer1k,
        x.portcullisIdleMsPerSecond,
        dash(x.pgCpuPer1k),
        x.totalCpuPer1k,
        dash(x.xactPerRefresh),
        Object.entries(x.errors)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || '0',
        x.uptime.replace(/^.*load average: /, 'load '),
      ]),
    ),
    '',
    table(
      [
        'system',
        'median refresh/s',
        'p50 ms',
        'p99 ms',
        'Portcullis CPU s/1k',
        'net of idle',
        'PostgreSQL CPU s/1k',
        'total CPU s/1k',
        'xact/refresh',
        'total CPU vs SQLite, per round',
        'refresh/s vs peer, per round',
      ],
      r.summary.map((s) => [
        s.variant,
        s.rps,
        s.p50,
        s.p99,
        s.portcullisCpuPer1k,
        s.portcullisNetCpuPer1k,
        dash(s.pgCpuPer1k),
        s.totalCpuPer1k,
        dash(s.xactPerRefresh),
        s.cpuVsSqlite.join(', '),
        s.rpsVsPeer.join(', '),
      ]),
    ),
    ...(r.b2.length
      ? [
          '',
          table(
            ['round', 'system', 'revokes', 'revoke p50 ms', 'revoke p99 ms', 'refresh/s meanwhile', 'stale acceptances', 'uptime'],
            r.b2.map((x) => [x.round, x.variant, x.revokes, x.p50, x.p99, x.rps, x.stale, x.uptime.replace(/^.*load average: /, 'load ')]),
          ),
        ]
      : []),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = options(process.argv.slice(2));
  const m = machine();
  console.log(`PostgreSQL pinned, CPU per refresh: ${JSON.stringify(o)}\nmachine: ${JSON.stringify(m)}`);
  const r = await runPgCpu(o);
  console.log(printPgCpu(r));
  console.log(`results: ${writeResult('pg-cpu', { scenario: 'PostgreSQL pinned CPU per refresh', options: o, machine: m, ...r })}`);
  if (r.b2.some((x) => x.stale !== 0)) process.exitCode = 1;
}
