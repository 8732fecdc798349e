/**
 * Instructions per refresh under B1's load, counted by valgrind's callgrind: a figure that does
 * not move with the machine's load (the shared 2-core machine makes CPU time per refresh scatter
 * by ±20% between runs). For each build, interleaved per round: a fresh server seeded like B1 runs
 * under `valgrind --tool=callgrind --separate-threads=yes`, `--warmup` refreshes settle the JIT,
 * the counters are zeroed (callgrind_control -z), `--refreshes` refreshes are sent by `--concurrency`
 * closed-loop clients, and the counters are dumped (callgrind_control -d). Reported per refresh:
 * the main thread's instructions (the event loop: HTTP, the store, token claims) and every
 * thread's (the RSA signatures on libuv's thread pool, GC and compiler threads, the checkpointer).
 * Under valgrind the threads run one at a time and the server is ~50× slower: this counts work,
 * it does not time it.
 * Usage: node --import tsx bench/callgrind-b1.ts --builds bench/results/builds/before,dist
 *        [--rounds n] [--refreshes n] [--warmup n] [--concurrency n] [--users n] [--keep dir] [--per-thread]
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberOption, stringOption } from './lib/common.js';
import { runClosedLoop, type Chain } from './lib/loadgen.js';
import { ROOT, stopProcess } from './lib/processes.js';
import { BENCH_PUBLIC_CLIENT, BENCH_TENANT, seedPortcullis } from './lib/seed-portcullis.js';
import { median, round, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const builds = stringOption(argv, 'builds', 'dist').split(',');
const rounds = numberOption(argv, 'rounds', 1);
const refreshes = numberOption(argv, 'refreshes', 400);
const warmup = numberOption(argv, 'warmup', 400);
const concurrency = numberOption(argv, 'concurrency', 8);
const users = numberOption(argv, 'users', 2000);
/** Keep the dump files (one per thread; `callgrind_annotate` reads them) under this directory. */
const keep = stringOption(argv, 'keep', '');
/** Also print each thread's instructions per refresh (thread 1 first: the main thread). */
const perThread = argv.includes('--per-thread');

/**
 * Instructions (Ir) per thread in the dump that callgrind_control -d wrote (`cg.out.<pid>.1-<thread>`;
 * the files without `.1` hold the shutdown, dumped at exit): the `summary:` or `totals:` line.
 */
function threadTotals(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^cg\.out\.\d+\.1-\d+$/.test(f))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      const m = /^(?:summary|totals):\s+(\d+)/m.exec(text);
      return m ? Number(m[1]) : 0;
    });
}

async function measure(dist: string): Promise<{ main: number; all: number; ok: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-cg-'));
  const outDir = mkdtempSync(join(tmpdir(), 'portcullis-cg-out-'));
  const seeded = await seedPortcullis(dataDir, users);
  const proc = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--separate-threads=yes',
      '--smc-check=all-non-file',
      `--callgrind-out-file=${join(outDir, 'cg.out.%p')}`,
      process.execPath,
      `${dist}/cli/main.js`,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--log-level',
      'silent',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let banner = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 10 minutes:\n${banner}`)), 600_000);
    proc.stdout?.on('data', (d: Buffer) => {
      banner += d.toString();
      const m = /Portcullis ready[\s\S]*issuer:\s+https?:\/\/[^:]+:(\d+)\//.exec(banner);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.stderr?.resume();
    proc.once('exit', (code) => reject(new Error(`server exited (${code}):\n${banner}`)));
  });
  const target = {
    origin: `http://127.0.0.1:${port}`,
    path: `/${BENCH_TENANT.id}/oauth2/v2.0/token`,
    body: (token: string) =>
      new URLSearchParams({ grant_type: 'refresh_token', client_id: BENCH_PUBLIC_CLIENT, refresh_token: token }).toString(),
  };
  const chains: Chain[] = seeded.tokens.map((token, user) => ({ user, token, dead: false }));
  const load = (n: number) => runClosedLoop(target, chains, { concurrency, durationMs: 3_600_000, warmupMs: 0, maxRequests: n });
  await load(warmup);
  const control = (flag: string) => spawnSync('callgrind_control', [flag, String(proc.pid)], { stdio: 'ignore' });
  control('-z');
  const measured = await load(refreshes);
  control('-d');
  await stopProcess(proc);
  const totals = threadTotals(outDir);
  if (perThread) console.log(totals.map((t) => round(t / measured.ok / 1000, 1)).join(' '));
  rmSync(dataDir, { recursive: true, force: true });
  if (keep) {
    const to = join(keep, `${dist.replace(/[^\w.-]+/g, '_')}-${Date.now()}`);
    mkdirSync(keep, { recursive: true });
    cpSync(outDir, to, { recursive: true });
    console.log(`dump files: ${to}`);
  }
  rmSync(outDir, { recursive: true, force: true });
  // Thread 1 is the main thread; the dump after -z holds only the measured refreshes' work.
  const per = (ir: number) => ir / measured.ok;
  return { main: per(totals[0] ?? 0), all: per(totals.reduce((a, b) => a + b, 0)), ok: measured.ok };
}

const rows: (string | number)[][] = [];
const byBuild = new Map<string, { main: number[]; all: number[] }>(builds.map((b) => [b, { main: [], all: [] }]));
for (let r = 1; r <= rounds; r++) {
  for (const build of builds) {
    const m = await measure(build);
    const acc = byBuild.get(build) as { main: number[]; all: number[] };
    acc.main.push(m.main);
    acc.all.push(m.all);
    rows.push([r, build, m.ok, round(m.main / 1000, 1), round(m.all / 1000, 1)]);
    console.log(
      `round ${r} ${build}: ${m.ok} refreshes, ${round(m.main / 1000, 1)} k instr/refresh main thread, ${round(m.all / 1000, 1)} k all threads`,
    );
  }
}
console.log(table(['round', 'build', 'refreshes', 'main thread k instr/refresh', 'all threads k instr/refresh'], rows));
for (const [build, acc] of byBuild) {
  console.log(
    `${build}: median main thread ${round(median(acc.main) / 1000, 1)} k, all threads ${round(median(acc.all) / 1000, 1)} k instructions per refresh`,
  );
}
