/**
 * B5: start-up time to ready. Spawns the shipped command, `node dist/cli/main.js serve --port 0`,
 * on an empty data directory (it creates the database, the demo tenant with an argon2-hashed
 * admin password and the first RSA signing key) and again on the directory it just filled, and
 * times spawn -> "Portcullis ready" on stdout. `node -e 0` is timed too: the floor no Node
 * server can beat on this machine.
 * Usage: npm run bench:b5 -- [--runs n] [--compare DIR]
 *   --compare DIR: also time another build (a copy of dist/ kept under bench/results/builds/),
 *   interleaved run by run with this one, and print the ratio of their medians.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, numberOption, stringOption, writeResult } from './lib/common.js';
import { ROOT, requireBuild, stopProcess } from './lib/processes.js';
import { round, summarise, table, type LatencySummary } from './lib/stats.js';

export interface B5Result {
  nodeBaselineMs: LatencySummary;
  emptyDataDirMs: LatencySummary;
  existingDataDirMs: LatencySummary;
}

function timeUntil(args: string[], ready: RegExp | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready && ready.test(out)) {
        const ms = performance.now() - start;
        void stopProcess(proc).then(() => resolve(ms));
      }
    });
    proc.once('exit', (code) => {
      if (!ready) resolve(performance.now() - start);
      else if (!ready.test(out)) reject(new Error(`exited (${code}) before ready:\n${out}\n${err}`));
    });
  });
}

export async function runB5(runs: number, dists: string[] = ['dist']): Promise<B5Result[]> {
  requireBuild();
  const baseline: number[] = [];
  const empty = dists.map(() => [] as number[]);
  const existing = dists.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    baseline.push(await timeUntil(['-e', '0'], null));
    for (const [d, dist] of dists.entries()) {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-b5-'));
      try {
        const args = [`${dist}/cli/main.js`, 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'silent'];
        empty[d]?.push(await timeUntil(args, /Portcullis ready/));
        existing[d]?.push(await timeUntil(args, /Portcullis ready/));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return dists.map((_, d) => ({
    nodeBaselineMs: summarise(baseline),
    emptyDataDirMs: summarise(empty[d] ?? []),
    existingDataDirMs: summarise(existing[d] ?? []),
  }));
}

export function printB5(r: B5Result): string {
  const row = (name: string, s: LatencySummary) => [name, s.count, round(s.p50, 1), round(s.mean, 1), round(s.p90, 1), round(s.max, 1)];
  return table(
    ['start', 'runs', 'median ms', 'mean ms', 'p90 ms', 'max ms'],
    [
      row('node -e 0 (floor)', r.nodeBaselineMs),
      row('serve, empty data dir', r.emptyDataDirMs),
      row('serve, existing data dir', r.existingDataDirMs),
    ],
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const runs = numberOption(argv, 'runs', 5);
  const compare = stringOption(argv, 'compare', '');
  const m = machine();
  console.log(`B5 start-up to ready: ${runs} runs\nmachine: ${JSON.stringify(m)}`);
  const [r, other] = await runB5(runs, compare ? ['dist', compare] : ['dist']);
  if (!r) throw new Error('no result');
  if (other) {
    console.log(`A = ${compare}`);
    console.log(printB5(other));
    console.log('B = dist');
    console.log(printB5(r));
    console.log(
      `B/A median: empty ${round(r.emptyDataDirMs.p50 / other.emptyDataDirMs.p50)}, existing ${round(r.existingDataDirMs.p50 / other.existingDataDirMs.p50)}`,
    );
  } else {
    console.log(printB5(r));
  }
  console.log(`results: ${writeResult('b5', { scenario: 'B5', runs, machine: m, result: r, ...(other ? { compare, other } : {}) })}`);
}
