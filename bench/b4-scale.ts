/**
 * B4: scale. Two databases made by the bulk loader: a baseline (`--baseline-users`, 10,000) and a
 * large one (`--users`, 1,000,000), each user with `--tokens-per-user` refresh tokens (10, so
 * 10,000,000 tokens at full size). For each: the start-up time on that database (B5 at B4's size),
 * then rounds interleaved baseline / large of B2's workload — closed-loop refreshes of `--sample`
 * users' chains while revokes run — giving refresh and revoke p50/p99, the server's RSS after the
 * round, and the database's size on disk. Targets: refresh and revoke p99 at the large size within
 * 1.5x of the baseline; RSS under 300 MB.
 * Usage: npm run bench:b4 -- [--users n] [--baseline-users n] [--tokens-per-user n] [--sample n]
 *        [--rounds n] [--duration ms] [--concurrency n] [--compare DIR]
 *   --compare DIR: each round also runs another build (a copy of dist/ under bench/results/builds/)
 *   on the large database, interleaved, as "large-compare" (before/after of a store change).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { b2Options, runB2, type B2Result } from './b2-revoke.js';
import { machine, numberOption, stringOption, writeResult } from './lib/common.js';
import { ROOT, requireBuild, rssMiB, stopProcess } from './lib/processes.js';
import { seedPortcullis } from './lib/seed-portcullis.js';
import { median, round, table } from './lib/stats.js';
import { startPortcullisOn } from './lib/targets.js';
import type { Chain } from './lib/loadgen.js';

interface Size {
  name: 'baseline' | 'large' | 'large-compare';
  dist?: string;
  users: number;
  dir: string;
  userIds: string[];
  chains: Chain[];
  seedSeconds: number;
}

const dirMiB = (dir: string): number => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0) / 2 ** 20;

function startupMs(dir: string, dist: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const proc = spawn(process.execPath, [`${dist}/cli/main.js`, 'serve', '--port', '0', '--data-dir', dir, '--log-level', 'silent'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Portcullis ready/.test(out)) {
        const ms = performance.now() - start;
        void stopProcess(proc).then(() => resolve(ms));
      }
    });
    proc.once('exit', (code) => {
      if (!/Portcullis ready/.test(out)) reject(new Error(`serve exited (${code}) before ready`));
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  requireBuild();
  const argv = process.argv.slice(2);
  const o = {
    users: numberOption(argv, 'users', 1_000_000),
    baselineUsers: numberOption(argv, 'baseline-users', 10_000),
    tokensPerUser: numberOption(argv, 'tokens-per-user', 10),
    sample: numberOption(argv, 'sample', 10_000),
    rounds: numberOption(argv, 'rounds', 3),
    compare: stringOption(argv, 'compare', ''),
  };
  const b2 = { ...b2Options(argv), warmupMs: numberOption(argv, 'warmup', 1000) };
  const m = machine();
  console.log(`B4 scale: ${JSON.stringify(o)} load ${JSON.stringify(b2)}\nmachine: ${JSON.stringify(m)}`);
  const sizes: Size[] = [];
  for (const [name, users] of [
    ['baseline', o.baselineUsers],
    ['large', o.users],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), `portcullis-b4-${name}-`));
    const t = performance.now();
    const seeded = await seedPortcullis(dir, users, { tokensPerUser: o.tokensPerUser, keepTokensOf: o.sample });
    const seedSeconds = round((performance.now() - t) / 1000, 1);
    console.log(`  seeded ${name}: ${users} users x ${o.tokensPerUser} refresh tokens in ${seedSeconds} s, ${round(dirMiB(dir), 0)} MiB`);
    sizes.push({
      name,
      users,
      dir,
      userIds: seeded.userIds,
      chains: seeded.tokens.map((token, user) => ({ user, token, dead: false })),
      seedSeconds,
    });
  }
  const large = sizes[1] as Size;
  // The other build drives the same large database and the same chains, between the two others.
  if (o.compare) sizes.push({ ...large, name: 'large-compare', dist: o.compare });
  try {
    const startup: Record<string, number[]> = { baseline: [], large: [], 'large-compare': [] };
    for (let i = 0; i < 3; i++) for (const s of sizes) startup[s.name]?.push(await startupMs(s.dir, s.dist ?? 'dist'));
    const rounds: { round: number; size: string; result: B2Result; rssMiB: number; dbMiB: number }[] = [];
    for (let r = 1; r <= o.rounds; r++) {
      for (const s of sizes) {
        const running = await startPortcullisOn(s.dir, s.userIds, s.chains, { workers: 1, ...(s.dist ? { dist: s.dist } : {}) });
        try {
          const result = await runB2(b2, running);
          const rss = round(rssMiB(running.server.pids), 1);
          rounds.push({ round: r, size: s.name, result, rssMiB: rss, dbMiB: round(dirMiB(s.dir), 0) });
          console.log(
            `  round ${r} ${s.name}: refresh ${result.refreshRps}/s p99 ${round(result.refreshLatencyMs.p99)} ms; revoke p99 ${round(result.revokeLatencyMs.p99)} ms; RSS ${rss} MiB; stale ${result.staleAcceptances}`,
          );
        } finally {
          await running.stop();
        }
      }
    }
    const med = (size: string, f: (x: (typeof rounds)[number]) => number) => round(median(rounds.filter((x) => x.size === size).map(f)));
    const rows = sizes.map((s) => [
      s.name,
      s.users,
      s.users * o.tokensPerUser,
      s.seedSeconds,
      med(s.name, (x) => x.dbMiB),
      round(median(startup[s.name] ?? []), 0),
      med(s.name, (x) => x.result.refreshRps),
      med(s.name, (x) => x.result.refreshLatencyMs.p50),
      med(s.name, (x) => x.result.refreshLatencyMs.p99),
      med(s.name, (x) => x.result.revokeLatencyMs.p50),
      med(s.name, (x) => x.result.revokeLatencyMs.p99),
      med(s.name, (x) => x.rssMiB),
      rounds.filter((x) => x.size === s.name).reduce((n, x) => n + x.result.staleAcceptances, 0),
    ]);
    console.log(
      table(
        [
          'size',
          'users',
          'refresh tokens',
          'seed s',
          'db MiB',
          'start-up ms',
          'refresh/s',
          'refresh p50 ms',
          'refresh p99 ms',
          'revoke p50 ms',
          'revoke p99 ms',
          'RSS MiB',
          'stale',
        ],
        rows,
      ),
    );
    const ratio = (f: (x: (typeof rounds)[number]) => number, against = 'baseline', of = 'large') => {
      const per = Array.from({ length: o.rounds }, (_, i) => {
        const [a, b] = [against, of].map((n) => rounds.find((x) => x.round === i + 1 && x.size === n));
        return a && b ? round(f(b) / f(a)) : Number.NaN;
      });
      return { per, median: median(per) };
    };
    const refreshP99 = ratio((x) => x.result.refreshLatencyMs.p99);
    const revokeP99 = ratio((x) => x.result.revokeLatencyMs.p99);
    console.log(
      `large/baseline per round: refresh p99 ${refreshP99.per.join(', ')} (median ${refreshP99.median}); revoke p99 ${revokeP99.per.join(', ')} (median ${revokeP99.median})`,
    );
    if (o.compare) {
      const r = ratio((x) => x.result.refreshLatencyMs.p99, 'large-compare', 'large');
      const v = ratio((x) => x.result.revokeLatencyMs.p99, 'large-compare', 'large');
      console.log(
        `large (dist) / large-compare (${o.compare}) per round: refresh p99 ${r.per.join(', ')} (median ${r.median}); revoke p99 ${v.per.join(', ')} (median ${v.median})`,
      );
    }
    console.log(
      `results: ${writeResult('b4', { scenario: 'B4', options: o, load: b2, machine: m, sizes: sizes.map(({ chains: _c, userIds: _u, ...s }) => s), startup, rounds, refreshP99, revokeP99 })}`,
    );
  } finally {
    for (const s of sizes) if (!s.dist) rmSync(s.dir, { recursive: true, force: true });
  }
}
