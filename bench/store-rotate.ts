/**
 * Store-level before/after for changes to the SQLite adapter: refresh-token rotations through
 * `store.grants.rotate` of two builds (directories holding a compiled dist/), in batches of
 * `--concurrency` at a time (as the token endpoint's group commit sees them), interleaved
 * A B A B on freshly seeded databases, synchronous=FULL as shipped. Reports the CPU time of this
 * (single-threaded) process per rotation, which the disk's fsync latency and other processes
 * disturb far less than wall-clock throughput, and rotations per second.
 * Usage: node --import tsx bench/store-rotate.ts --a bench/results/builds/before --b dist
 *        [--rounds n] [--duration ms] [--users n] [--concurrency n]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestCredential } from '../src/crypto/digest.js';
import { newOpaqueToken } from '../src/crypto/random.js';
import type { RefreshTokenRecord } from '../src/core/model.js';
import type { Store } from '../src/store/store.js';
import { numberOption, stringOption, writeResult, machine } from './lib/common.js';
import { ROOT } from './lib/processes.js';
import { BENCH_PUBLIC_CLIENT, seedPortcullis } from './lib/seed-portcullis.js';
import { median, round, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const a = stringOption(argv, 'a', '');
const b = stringOption(argv, 'b', 'dist');
if (!a) throw new Error('--a DIR is required');
const rounds = numberOption(argv, 'rounds', 5);
const durationMs = numberOption(argv, 'duration', 2000);
const users = numberOption(argv, 'users', 10_000);
const concurrency = numberOption(argv, 'concurrency', 16);

async function measure(dist: string): Promise<{ cpuUs: number; perSecond: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'store-rotate-'));
  try {
    const seeded = await seedPortcullis(dir, users);
    const { openSqliteStore } = (await import(join(ROOT, dist, 'store/sqlite/open.js'))) as { openSqliteStore: (f: string) => Store };
    const store = openSqliteStore(seeded.dbFile);
    const hashes = seeded.tokens.map(digestCredential);
    const successor = (current: RefreshTokenRecord): RefreshTokenRecord => ({
      ...current,
      hash: digestCredential(newOpaqueToken()),
      issuedAt: Date.now(),
      consumedAt: null,
    });
    let next = 0;
    const rotateSome = async (n: number) => {
      await Promise.all(
        Array.from({ length: n }, async () => {
          const i = next++ % hashes.length;
          const r = await store.grants.rotate(hashes[i] as string, BENCH_PUBLIC_CLIENT, Date.now(), successor, 0);
          if (!r.ok) throw new Error(`rotation failed: ${r.reason}`);
          hashes[i] = r.next.hash;
        }),
      );
    };
    for (let w = 0; w < 50; w++) await rotateSome(concurrency); // warm up
    let done = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    while (performance.now() - t0 < durationMs) {
      await rotateSome(concurrency);
      done += concurrency;
    }
    const elapsed = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await store.close();
    return { cpuUs: round((cpu.user + cpu.system) / done, 1), perSecond: round((done / elapsed) * 1000, 0) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: (string | number)[][] = [];
const ratios: number[] = [];
const results: { round: number; a: { cpuUs: number; perSecond: number }; b: { cpuUs: number; perSecond: number } }[] = [];
for (let r = 1; r <= rounds; r++) {
  const ra = await measure(a);
  const rb = await measure(b);
  results.push({ round: r, a: ra, b: rb });
  ratios.push(round(rb.cpuUs / ra.cpuUs));
  rows.push([r, ra.cpuUs, rb.cpuUs, round(rb.cpuUs / ra.cpuUs), ra.perSecond, rb.perSecond]);
}
console.log(table(['round', 'A CPU µs/rotation', 'B CPU µs/rotation', 'B/A CPU', 'A rotations/s', 'B rotations/s'], rows));
console.log(`A = ${a}, B = ${b}; batches of ${concurrency}; median B/A CPU per rotation ${median(ratios)}`);
writeResult('store-rotate', {
  machine: machine(),
  a,
  b,
  rounds,
  durationMs,
  users,
  concurrency,
  results,
  ratios,
  medianRatio: median(ratios),
});
