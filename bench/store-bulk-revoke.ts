/**
 * Store-level before/after for bulk revocation (B3) on SQLite: `revokeManyUsersSessions`
 * (src/core/revocation.ts, UserStore.revokeMany) of two builds (directories holding a compiled
 * dist/), `--batch` users per call (a $batch's 20) and `--in-flight` calls per turn of the event
 * loop (the concurrent $batch requests that share one group commit), interleaved A B A B on
 * freshly seeded databases, synchronous=FULL as shipped. No HTTP, no authorization: what the
 * revoking transaction itself costs. Reports per revoked user the CPU time of this process
 * (its checkpointer thread included) and the bytes it wrote to disk (/proc/self/io: WAL and
 * checkpoints), which the fsync latency and other processes disturb far less than wall time.
 * Usage: node --import tsx bench/store-bulk-revoke.ts --a bench/results/builds/before --b dist
 *        [--rounds n] [--users n] [--batch n] [--in-flight n]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../src/clock.js';
import type { UserRevokeArgs } from '../src/core/revocation.js';
import type { User } from '../src/core/model.js';
import type { Store } from '../src/store/store.js';
import { machine, numberOption, stringOption, writeResult } from './lib/common.js';
import { ROOT } from './lib/processes.js';
import { BENCH_ADMIN_APP, BENCH_TENANT, seedPortcullis } from './lib/seed-portcullis.js';
import { median, round, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const a = stringOption(argv, 'a', '');
const b = stringOption(argv, 'b', 'dist');
if (!a) throw new Error('--a DIR is required');
const rounds = numberOption(argv, 'rounds', 3);
const users = numberOption(argv, 'users', 10_000);
const batch = numberOption(argv, 'batch', 20);
const inFlight = numberOption(argv, 'in-flight', 8);

/** Bytes this process has caused to be written to storage so far (Linux), or NaN. */
function writeBytes(): number {
  try {
    return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return Number.NaN;
  }
}

type RevokeMany = (store: Store, clock: Clock, revokes: readonly UserRevokeArgs[]) => Promise<(User | null)[]>;

async function measure(dist: string): Promise<{ cpuUs: number; bytes: number; perSecond: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'store-bulk-revoke-'));
  try {
    const seeded = await seedPortcullis(dir, users);
    const { openSqliteStore } = (await import(join(ROOT, dist, 'store/sqlite/open.js'))) as { openSqliteStore: (f: string) => Store };
    const { revokeManyUsersSessions } = (await import(join(ROOT, dist, 'core/revocation.js'))) as { revokeManyUsersSessions: RevokeMany };
    const store = openSqliteStore(seeded.dbFile);
    const clock: Clock = { now: () => Date.now() };
    const targets = (await store.users.findByIds(BENCH_TENANT.id, seeded.userIds)).sort((x, y) => x.id.localeCompare(y.id));
    const actor = { app: { appId: BENCH_ADMIN_APP, displayName: 'Bench admin' } };
    const args = targets.map((target): UserRevokeArgs => ({ target, actor, correlationId: crypto.randomUUID() }));
    const cpu0 = process.cpuUsage();
    const bytes0 = writeBytes();
    const t0 = performance.now();
    for (let next = 0; next < args.length; ) {
      const calls: Promise<(User | null)[]>[] = [];
      for (let k = 0; k < inFlight && next < args.length; k++, next += batch) {
        calls.push(revokeManyUsersSessions(store, clock, args.slice(next, next + batch)));
      }
      for (const r of await Promise.all(calls)) if (r.some((u) => u === null)) throw new Error('a revoke found no user');
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const bytes = writeBytes() - bytes0;
    await store.close();
    return { cpuUs: (cpu.user + cpu.system) / args.length, bytes: bytes / args.length, perSecond: args.length / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const rows: (string | number)[][] = [];
const results: { build: string; round: number; cpuUs: number; bytes: number; perSecond: number; load: string }[] = [];
for (let r = 1; r <= rounds; r++) {
  for (const dist of [a, b]) {
    const l = load();
    const m = await measure(dist);
    results.push({ build: dist, round: r, ...m, load: l });
    rows.push([dist, r, round(m.cpuUs, 1), round(m.bytes / 1024, 1), Math.round(m.perSecond), l]);
    console.log(
      `  ${dist} round ${r}: ${round(m.cpuUs, 1)} µs CPU/user, ${round(m.bytes / 1024, 1)} KiB written/user, ${Math.round(m.perSecond)} users/s, load ${l}`,
    );
  }
}
console.log(table(['build', 'round', 'CPU µs/user', 'KiB written/user', 'users/s', 'load avg'], rows));
const med = (dist: string, k: 'cpuUs' | 'bytes') => median(results.filter((x) => x.build === dist).map((x) => x[k]));
console.log(
  `median CPU µs/user: ${a} ${round(med(a, 'cpuUs'), 1)}, ${b} ${round(med(b, 'cpuUs'), 1)} (${round(med(b, 'cpuUs') / med(a, 'cpuUs'), 2)}×); ` +
    `KiB written/user: ${round(med(a, 'bytes') / 1024, 1)} -> ${round(med(b, 'bytes') / 1024, 1)}`,
);
console.log(`results: ${writeResult('store-bulk-revoke', { users, batch, inFlight, rounds, machine: machine(), results })}`);
