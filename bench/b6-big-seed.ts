/**
 * B6: a big seed file. Generates a seed of N users (default 10,000), applies it to a new SQLite
 * store (every user created: one argon2id hash each, the unavoidable cost of a first start), then
 * times restarts with the file unchanged, two ways:
 *  - in this process: open the store, parse the file, apply it (what `serve --seed` does before it
 *    listens); the first of these runs on cold (unoptimised) code, as a real restart does;
 *  - the shipped command: `node dist/cli/main.js serve --seed FILE` spawn -> "Portcullis ready",
 *    interleaved with the same start without --seed; the difference is what the seed costs.
 * Every restart must run no argon2 (docs/seed-file.md).
 * Usage: npm run bench:b6 -- [--users n] [--restarts n] [--data DIR] [--postgres URL]
 *   --data DIR: keep the store in DIR; a DIR that already holds it skips the first apply.
 *   --postgres URL: the store is a new database on that server (postgres://user@host:port/db,
 *     the database named in it is only where CREATE DATABASE runs), dropped at the end; serve
 *     gets --database-url.
 *   --keep-database NAME (with --postgres): use that database and keep it; one that exists already
 *     skips the first apply (drop it yourself afterwards).
 *   --light-hash: the first apply hashes with argon2id at its lightest (m=1 MiB, t=1) instead of
 *     the shipped parameters, so a 10,000-user store is made in minutes and the first apply's
 *     figure is the cost of everything but argon2 (the store's round trips). Restarts run no
 *     argon2 either way, so their figures do not depend on it; the result file says which was used.
 *   --in-process-only: skip the `serve` half (spawned restarts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedProgressLine } from '../src/cli/seed-report.js';
import { systemClock } from '../src/clock.js';
import { applySeed, parseSeed } from '../src/core/seed.js';
import { openPostgresStore } from '../src/store/postgres/open.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import type { Store } from '../src/store/store.js';
import argon2 from 'argon2';
import pg from 'pg';
import { machine, numberOption, stringOption, writeResult } from './lib/common.js';
import { ROOT, requireBuild, stopProcess } from './lib/processes.js';

const argv = process.argv.slice(2);
const users = numberOption(argv, 'users', 10_000);
const restarts = numberOption(argv, 'restarts', 5);
const keep = stringOption(argv, 'data', '');
const postgresServer = stringOption(argv, 'postgres', '');
const lightHash = argv.includes('--light-hash');
const inProcessOnly = argv.includes('--in-process-only');
/** --light-hash: argon2id still (a valid hash of the password), at its lowest cost. */
const lightHasher = (plain: string): Promise<string> =>
  argon2.hash(plain, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
/** --keep-database NAME: use (and keep) that database; one that exists already skips the first apply. */
const keptDatabase = stringOption(argv, 'keep-database', '');
if (keptDatabase && !/^[a-z_][a-z0-9_]{0,62}$/.test(keptDatabase)) throw new Error('--keep-database must be a plain lower-case name');
/** The bench's own database on that server: postgres://…/portcullis_b6_<random>. */
const postgresUrl = postgresServer
  ? Object.assign(new URL(postgresServer), {
      pathname: `/${keptDatabase || `portcullis_b6_${Math.random().toString(36).slice(2, 10)}`}`,
    }).toString()
  : '';

async function adminQuery(sql: string, args: unknown[] = []): Promise<number> {
  const client = new pg.Client({ connectionString: postgresServer });
  await client.connect();
  try {
    return (await client.query(sql, args)).rowCount ?? 0;
  } finally {
    await client.end();
  }
}
const databaseName = postgresUrl ? new URL(postgresUrl).pathname.slice(1) : '';
const databaseExisted = keptDatabase !== '' && (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [keptDatabase])) > 0;
if (postgresUrl && !databaseExisted) await adminQuery(`CREATE DATABASE ${databaseName}`);
const openStore = (): Promise<Store> =>
  postgresUrl ? openPostgresStore({ url: postgresUrl }, systemClock.now()) : Promise.resolve(openSqliteStore(file, systemClock.now()));
const dir = keep || mkdtempSync(join(tmpdir(), 'portcullis-b6-'));
mkdirSync(dir, { recursive: true });
const file = join(dir, 'portcullis.db');
const seedFile = join(dir, 'seed.json');

const seedText = JSON.stringify({
  tenant: { id: '6c9f0c55-8d2e-4f7a-9c3b-5e6d7f8a9b0c', domain: 'big.test', displayName: 'Big seed' },
  users: Array.from({ length: users }, (_, i) => ({
    userPrincipalName: `user${i}@big.test`,
    displayName: `User ${i}`,
    password: `Seed-Pass-${i}!`,
    roles: [],
  })),
  applications: [{ appId: '6a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', displayName: 'App', web: { redirectUris: ['https://app.big.test/cb'] } }],
});

/** spawn -> "Portcullis ready" of the built command on the data directory; the seed's summary line (not a progress line), if any. */
function timeServe(withSeed: boolean): Promise<{ ms: number; seedLine: string }> {
  const args = [join(ROOT, 'dist/cli/main.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dir, '--log-level', 'silent'];
  if (postgresUrl) args.push('--database-url', postgresUrl);
  if (withSeed) args.push('--seed', seedFile);
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Portcullis ready')) {
        const ms = Math.round(performance.now() - t);
        void stopProcess(proc).then(() => resolve({ ms, seedLine: /^Seed '.*\bcreated\b.*$/m.exec(out)?.[0] ?? '' }));
      }
    });
    proc.once('exit', (code) => {
      if (!out.includes('Portcullis ready')) reject(new Error(`serve exited (${code}) before ready:\n${out}`));
    });
  });
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** One start's seed work: open, parse the file's text, apply. */
async function start(progress: boolean): Promise<{ ms: number; cpuMs: number; argon2: number; created: number; unchanged: number }> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const store = await openStore();
  try {
    const r = await applySeed(store, parseSeed(JSON.parse(seedText)), systemClock, {
      ...(progress ? { onProgress: (p) => process.stderr.write(`  ${seedProgressLine('bench', p)}\n`) } : {}),
      ...(progress && lightHash ? { hashSecret: lightHasher } : {}),
    });
    const used = process.cpuUsage(cpu);
    const cpuMs = Math.round((used.user + used.system) / 1000);
    return { ms: Math.round(performance.now() - t), cpuMs, argon2: r.argon2, created: r.created, unchanged: r.unchanged };
  } finally {
    await store.close();
  }
}

/** The `serve` half: spawned restarts with and without the unchanged seed, interleaved. */
async function timeServes(): Promise<{ serveWithSeedMs: number[]; serveWithoutSeedMs: number[]; seedCostOnRestartMedianMs: number }> {
  requireBuild();
  writeFileSync(seedFile, seedText);
  const serveWithSeedMs: number[] = [];
  const serveWithoutSeedMs: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const withSeed = await timeServe(true);
    if (!withSeed.seedLine.includes(`0 created, 0 updated, ${users + 2} unchanged`) || !withSeed.seedLine.includes('(0 argon2'))
      throw new Error(`serve restart was not a no-op: ${withSeed.seedLine}`);
    serveWithSeedMs.push(withSeed.ms);
    serveWithoutSeedMs.push((await timeServe(false)).ms);
    process.stderr.write(`B6: serve to ready: ${withSeed.ms} ms with the unchanged seed, ${serveWithoutSeedMs.at(-1)} ms without\n`);
  }
  const seedCostOnRestartMedianMs = median(serveWithSeedMs) - median(serveWithoutSeedMs);
  process.stderr.write(
    `B6: serve restart medians: ${seedCostOnRestartMedianMs} ms for the seed (${median(serveWithSeedMs)} with, ${median(serveWithoutSeedMs)} without)\n`,
  );
  return { serveWithSeedMs, serveWithoutSeedMs, seedCostOnRestartMedianMs };
}

try {
  let first: Awaited<ReturnType<typeof start>> | null = null;
  if (postgresUrl ? !databaseExisted : !existsSync(file)) {
    process.stderr.write(`B6: first apply of ${users} users (argon2id for each${lightHash ? ', lightest parameters' : ''})\n`);
    first = await start(true);
    process.stderr.write(`B6: first apply ${first.ms} ms, ${first.argon2} argon2, ${first.created} created\n`);
  }
  const restartMs: number[] = [];
  const restartCpuMs: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const r = await start(false);
    if (r.argon2 !== 0 || r.unchanged !== users + 2) throw new Error(`restart ${i} was not a no-op: ${JSON.stringify(r)}`);
    restartMs.push(r.ms);
    restartCpuMs.push(r.cpuMs);
    process.stderr.write(`B6: restart ${i + 1}: ${r.ms} ms, ${r.cpuMs} ms CPU (0 argon2, ${r.unchanged} unchanged)\n`);
  }
  process.stderr.write(`B6: in-process restart median ${median(restartMs)} ms, ${median(restartCpuMs)} ms CPU\n`);
  const serve = inProcessOnly ? null : await timeServes();
  const result = {
    machine: machine(),
    store: postgresUrl ? 'postgres' : 'sqlite',
    users,
    lightHash,
    firstApply: first,
    restartMs,
    restartMedianMs: median(restartMs),
    restartCpuMs,
    restartCpuMedianMs: median(restartCpuMs),
    ...serve,
  };
  process.stderr.write(`B6: wrote ${writeResult(postgresUrl ? 'b6-big-seed-postgres' : 'b6-big-seed', result)}\n`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
  if (postgresUrl && !keptDatabase) await adminQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
}
