/**
 * CPU profile of the event loop alone under B1's load, with Linux `perf`: `--cpu-prof`
 * (profile-token.ts) samples wall time, so a main thread blocked in the commit's fsync shows up as
 * busy in SQLite; `perf record -t <main thread>` samples only the CPU it burns, kernel time
 * included (the answer's writev, the WAL writes, the futex wake of a thread-pool thread per
 * signature). Starts `portcullis serve` (the build in `--dist`) with `--perf-basic-prof-only-functions`
 * so JIT frames are named, pinned to the last CPU, drives `--concurrency` refresh chains, records
 * `--duration` ms after 1.5 s of warm-up, and prints the heaviest frames (inclusive) and the
 * syscalls the kernel time comes from.
 * Usage: node --import tsx bench/perf-main-thread.ts [--dist dir] [--duration ms] [--concurrency n] [--out file]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberOption, stringOption } from './lib/common.js';
import { runClosedLoop } from './lib/loadgen.js';
import { startServer } from './lib/processes.js';
import { BENCH_PUBLIC_CLIENT, BENCH_TENANT, seedPortcullis } from './lib/seed-portcullis.js';

const argv = process.argv.slice(2);
const duration = numberOption(argv, 'duration', 5000);
const concurrency = numberOption(argv, 'concurrency', 16);
const dist = stringOption(argv, 'dist', 'dist');
const out = stringOption(argv, 'out', join(tmpdir(), `portcullis-perf-${process.pid}.data`));
const warmupMs = 1500;

const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-perf-'));
const seeded = await seedPortcullis(dataDir, 10_000);
const server = await startServer({
  args: ['--perf-basic-prof-only-functions', `${dist}/cli/main.js`, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'],
  cpus: String(availableParallelism() - 1),
  ready: /Portcullis ready[\s\S]*issuer:\s+\S+\n/,
  parse: (banner, pid) => ({ port: Number(/issuer:\s+https?:\/\/[^:]+:(\d+)\//.exec(banner)?.[1]), pids: [pid] }),
});
const pid = server.pids[0] as number;
let perf: ReturnType<typeof spawn> | null = null;
const start = setTimeout(() => {
  // -t: the main thread only (its tid is the pid); cpu-clock, as a VM may have no hardware counters.
  perf = spawn('perf', ['record', '-q', '-F', '1999', '-g', '-t', String(pid), '-o', out], { stdio: 'inherit' });
}, warmupMs);
const result = await runClosedLoop(
  {
    origin: `http://127.0.0.1:${server.port}`,
    path: `/${BENCH_TENANT.id}/oauth2/v2.0/token`,
    body: (token) => new URLSearchParams({ grant_type: 'refresh_token', client_id: BENCH_PUBLIC_CLIENT, refresh_token: token }).toString(),
  },
  seeded.tokens.map((token, user) => ({ user, token, dead: false })),
  { concurrency, durationMs: duration + warmupMs, warmupMs: 0, maxRequests: 1_000_000 },
);
clearTimeout(start);
const recorder = perf as ReturnType<typeof spawn> | null;
if (recorder) {
  const exited = new Promise((resolve) => recorder.once('exit', resolve));
  recorder.kill('SIGINT');
  await exited;
}
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
console.log(`${result.rps.toFixed(1)} refresh/s (perf data: ${out})`);
const report = (args: string[]) => spawnSync('perf', ['report', '-i', out, ...args], { encoding: 'utf8' }).stdout ?? '';
const lines = report(['--children', '--sort', 'sym', '-g', 'none']).split('\n');
console.log(
  lines
    .filter((l) => /Samples|JS:/.test(l))
    .slice(0, 40)
    .join('\n'),
);
console.log(
  report(['--no-children', '--sort', 'dso', '-g', 'none'])
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .slice(0, 8)
    .join('\n'),
);
