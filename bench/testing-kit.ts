/**
 * portcullis/testing against spawning `portcullis serve`: what a test suite pays to get an
 * identity provider. Both from the built dist/ (run `npm run build` first), each in its own
 * process, a few runs, medians:
 *   serve   spawn `node dist/cli/main.js serve --port 0` on an empty data dir -> "Portcullis ready"
 *           on stdout, and the process's RSS then;
 *   kit     in a fresh `node` process: `import('portcullis/testing')` as a test file imports it (the
 *           package's "import" entry, src/testing/entry.ts, which begins the signing key before
 *           the server's modules load), the first startPortcullis() (seeds: argon2, RSA key), a second
 *           one with the same seed (what every further test file or suite pays), reset() after a
 *           few tokens and a created user, and the process's RSS with one server running.
 * The kit's CPU time (process.cpuUsage, all threads) is printed beside its wall time: on a shared
 * machine it is the figure that holds still. --kit-only leaves serve out.
 * Usage: npm run build && node --import tsx bench/testing-kit.ts [--runs n] [--kit-only]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, numberOption, writeResult } from './lib/common.js';
import { ROOT, requireBuild, rssMiB, stopProcess } from './lib/processes.js';
import { round, summarise, table } from './lib/stats.js';

/** spawn -> "Portcullis ready"; then the RSS of the serving process. */
function serveOnce(dir: string): Promise<{ readyMs: number; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const proc = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'silent'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let done = false;
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!done && /Portcullis ready/.test(out)) {
        done = true;
        const readyMs = performance.now() - start;
        const rss = rssMiB([proc.pid ?? 0]);
        void stopProcess(proc).then(() => resolve({ readyMs, rssMiB: rss }));
      }
    });
    proc.once('exit', (code) => {
      if (!done) reject(new Error(`serve exited (${code}) before ready:\n${out}\n${err}`));
    });
  });
}

/** What the child process measures about the kit and prints as one JSON line. */
const KIT_CHILD = `
const cpuMs = (since) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
const t0 = performance.now();
const { startPortcullis, TEST_USERS } = await import('portcullis/testing');
const imported = performance.now() - t0;
let t = performance.now();
let cpu = process.cpuUsage();
const first = await startPortcullis();
const firstMs = performance.now() - t;
const firstCpuMs = cpuMs(cpu);
// performance's time origin is the process's start: node's boot, the import and the first start.
const readyMs = performance.now();
const rssMiB = process.memoryUsage().rss / 1048576;
t = performance.now();
cpu = process.cpuUsage();
const second = await startPortcullis();
const secondMs = performance.now() - t;
const secondCpuMs = cpuMs(cpu);
await second.stop();
const resets = [];
for (let i = 0; i < 10; i++) {
  await first.tokens.password({ username: TEST_USERS.alice.userPrincipalName });
  await first.users.revokeSessions(TEST_USERS.bob.userPrincipalName);
  t = performance.now();
  await first.reset();
  resets.push(performance.now() - t);
}
const rssAfterResetsMiB = process.memoryUsage().rss / 1048576;
t = performance.now();
await first.stop();
const stopMs = performance.now() - t;
console.log(JSON.stringify({ imported, firstMs, firstCpuMs, secondMs, secondCpuMs, resets, rssMiB, rssAfterResetsMiB, stopMs, readyMs }));
`;

interface KitRun {
  /** Node's boot + the import + the first start (the child's clock starts with the process). */
  readyMs: number;
  imported: number;
  firstMs: number;
  /** CPU time of the process (every thread: argon2 and RSA run on the thread pool) during that start. */
  firstCpuMs: number;
  secondMs: number;
  secondCpuMs: number;
  resets: number[];
  /** RSS with one server just started, and after the second server and ten resets. */
  rssMiB: number;
  rssAfterResetsMiB: number;
  stopMs: number;
}

function kitOnce(): Promise<KitRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', KIT_CHILD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as KitRun);
      } catch {
        reject(new Error(`kit child exited (${code}):\n${out}\n${err}`));
      }
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  requireBuild();
  const runs = numberOption(process.argv.slice(2), 'runs', 5);
  const kitOnly = process.argv.includes('--kit-only');
  const m = machine();
  console.log(`testing kit vs serve: ${runs} runs\nmachine: ${JSON.stringify(m)}`);
  const serve: Array<{ readyMs: number; rssMiB: number }> = [];
  const kit: KitRun[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-kit-bench-'));
    try {
      if (!kitOnly) serve.push(await serveOnce(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    kit.push(await kitOnce());
  }
  const med = (xs: number[]) => summarise(xs).p50;
  const serveReady = med(serve.map((s) => s.readyMs));
  const serveRss = med(serve.map((s) => s.rssMiB));
  const vs = (x: number, digits: number) => (kitOnly ? '-' : round(x / serveReady, digits));
  const vsRss = (x: number, digits: number) => (kitOnly ? '-' : round(x / serveRss, digits));
  const kitSpawn = med(kit.map((k) => k.readyMs));
  const kitFirst = med(kit.map((k) => k.firstMs));
  const kitSecond = med(kit.map((k) => k.secondMs));
  const kitReset = med(kit.flatMap((k) => k.resets));
  const kitResetMax = Math.max(...kit.flatMap((k) => k.resets));
  const kitRss = med(kit.map((k) => k.rssMiB));
  console.log(
    table(
      ['what', 'median', 'vs serve'],
      [
        ['serve: spawn -> ready (empty data dir), ms', round(serveReady, 1), '1'],
        ['kit: node boot + import + first start, ms', round(kitSpawn, 1), vs(kitSpawn, 2)],
        ['kit: first startPortcullis() in a process, ms', round(kitFirst, 1), vs(kitFirst, 3)],
        ['kit: CPU of the first start (all threads), ms', round(med(kit.map((k) => k.firstCpuMs)), 1), ''],
        ['kit: further startPortcullis() (same seed), ms', round(kitSecond, 1), vs(kitSecond, 3)],
        ['kit: CPU of a further start, ms', round(med(kit.map((k) => k.secondCpuMs)), 1), ''],
        [`kit: reset(), ms (max ${round(kitResetMax, 2)})`, round(kitReset, 2), vs(kitReset, 4)],
        ['serve: RSS when ready, MiB', round(serveRss, 1), '1'],
        ['kit: RSS of the process with one server, MiB', round(kitRss, 1), vsRss(kitRss, 2)],
        [
          'kit: RSS after a 2nd server and 10 resets, MiB',
          round(med(kit.map((k) => k.rssAfterResetsMiB)), 1),
          vsRss(med(kit.map((k) => k.rssAfterResetsMiB)), 2),
        ],
      ],
    ),
  );
  console.log(`results: ${writeResult('testing-kit', { runs, machine: m, serve, kit })}`);
}
