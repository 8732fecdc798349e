/**
 * B1 and B2 on PostgreSQL (BENCHMARKS.md, "B1/B2 on PostgreSQL, 1 and 3 instances"):
 * Portcullis as 1 and as 3 `portcullis serve` processes on one fresh PostgreSQL database per run
 * (the load generator's clients spread round-robin over the instances), side by side with
 * node-oidc-provider in the same run, at the all-cores level (nothing pinned: PostgreSQL needs
 * CPU too). Per pair, in this order: Portcullis × each instance count, then the peer, each on a
 * freshly seeded server; ratios Portcullis/peer per pair and their median. Then B2 for each
 * instance count: revokes every `--interval` ms from B2's revoker process against the first
 * instance while the refresh load runs against all of them, and the history check (a refresh of a
 * revoked user sent after the revoke answered and accepted by ANY instance is a stale acceptance:
 * must be 0). The RS256 limit is probed on one pinned CPU before every pair; the level's limit is
 * that × the machine's cores.
 * Usage: npm run bench:pg -- [--duration ms] [--warmup ms] [--pairs n] [--users n]
 *        [--concurrency n] [--b2-concurrency n] [--interval ms] [--instances 1,3]
 */
import { availableParallelism } from 'node:os';
import { measure, type B1Options, type B1Run } from './b1-refresh.js';
import { runB2, type B2Result } from './b2-revoke.js';
import { machine, numberOption, rs256Probe, sleep, stringOption, writeResult } from './lib/common.js';
import { requireBuild } from './lib/processes.js';
import { median, round, table } from './lib/stats.js';
import { startPeer, startPortcullisPg } from './lib/targets.js';

export interface PgOptions {
  durationMs: number;
  warmupMs: number;
  pairs: number;
  users: number;
  concurrency: number;
  b2Concurrency: number;
  intervalMs: number;
  instances: number[];
}

export interface PgB1Run extends B1Run {
  /** `portcullis-pg×N` or `oidc-provider`. */
  variant: string;
  loadAverage: string;
}

export interface PgB2Run extends B2Result {
  variant: string;
  pair: number;
  loadAverage: string;
}

export function pgOptions(argv: readonly string[]): PgOptions {
  return {
    durationMs: numberOption(argv, 'duration', 5000),
    warmupMs: numberOption(argv, 'warmup', 1000),
    pairs: numberOption(argv, 'pairs', 3),
    users: numberOption(argv, 'users', 10_000),
    concurrency: numberOption(argv, 'concurrency', 32),
    b2Concurrency: numberOption(argv, 'b2-concurrency', 16),
    intervalMs: numberOption(argv, 'interval', 20),
    instances: stringOption(argv, 'instances', '1,3')
      .split(',')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n >= 1),
  };
}

const loadAverage = async (): Promise<string> => {
  const { readFileSync } = await import('node:fs');
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '';
  }
};

const pgVariant = (n: number) => `portcullis-pg×${n}`;

export async function runPg(o: PgOptions, log: (line: string) => void = console.log) {
  requireBuild();
  const cores = availableParallelism();
  const b1o: B1Options = {
    durationMs: o.durationMs,
    warmupMs: o.warmupMs,
    pairs: o.pairs,
    users: o.users,
    concurrencyOne: o.concurrency,
    concurrencyAll: o.concurrency,
    workers: 1,
    maxRequests: 500_000,
    levels: ['all'],
  };
  const b1: PgB1Run[] = [];
  const b2: PgB2Run[] = [];
  const probes: { signaturesPerSecond: number; signaturesPerCpuSecond: number }[] = [];
  for (let pair = 1; pair <= o.pairs; pair++) {
    probes.push(rs256Probe(String(cores - 1)));
    for (const n of o.instances) {
      const load = await loadAverage();
      const running = await startPortcullisPg({ users: o.users, instances: n });
      const r = await measure(running, b1o, 'all', pair, n).finally(() => running.stop());
      b1.push({ ...r, variant: pgVariant(n), loadAverage: load });
      log(
        `  B1 pair ${pair} ${pgVariant(n)}: ${r.rps} refresh/s p50 ${round(r.latencyMs.p50)} ms p99 ${round(r.latencyMs.p99)} ms cpu ${r.serverCpuCores} cores ${JSON.stringify(r.errors)} (load ${load})`,
      );
      await sleep(300);
    }
    const load = await loadAverage();
    const peer = await startPeer({ users: o.users });
    const rp = await measure(peer, b1o, 'all', pair, 1).finally(() => peer.stop());
    b1.push({ ...rp, variant: 'oidc-provider', loadAverage: load });
    log(
      `  B1 pair ${pair} oidc-provider: ${rp.rps} refresh/s p50 ${round(rp.latencyMs.p50)} ms p99 ${round(rp.latencyMs.p99)} ms (load ${load})`,
    );
    await sleep(300);
    for (const n of o.instances) {
      const loadB2 = await loadAverage();
      const running = await startPortcullisPg({ users: o.users, instances: n });
      const r = await runB2(
        {
          durationMs: o.durationMs,
          warmupMs: o.warmupMs,
          users: o.users,
          concurrency: o.b2Concurrency,
          workers: 1,
          intervalMs: o.intervalMs,
          dist: 'dist',
        },
        running,
      ).finally(() => running.stop());
      b2.push({ ...r, variant: pgVariant(n), pair, loadAverage: loadB2 });
      log(
        `  B2 pair ${pair} ${pgVariant(n)}: ${r.revokes} revokes p50 ${round(r.revokeLatencyMs.p50)} ms p99 ${round(r.revokeLatencyMs.p99)} ms; stale ${r.staleAcceptances} (load ${loadB2})`,
      );
      await sleep(300);
    }
  }
  const signaturesPerCore = median(probes.map((p) => p.signaturesPerSecond));
  const signaturesPerCpuSecond = median(probes.map((p) => p.signaturesPerCpuSecond));
  const refreshLimit = (signaturesPerCore / 2) * cores;
  const variants = [...o.instances.map(pgVariant), 'oidc-provider'];
  const summary = variants.map((variant) => {
    const mine = b1.filter((r) => r.variant === variant);
    const ratios =
      variant === 'oidc-provider'
        ? []
        : mine.map((r) => round(r.rps / (b1.find((p) => p.pair === r.pair && p.variant === 'oidc-provider')?.rps ?? Number.NaN)));
    const rps = median(mine.map((r) => r.rps));
    return {
      variant,
      rps,
      p50: round(median(mine.map((r) => r.latencyMs.p50))),
      p99: round(median(mine.map((r) => r.latencyMs.p99))),
      ratios,
      medianRatio: ratios.length ? round(median(ratios)) : null,
      percentOfLimit: round((rps / refreshLimit) * 100, 1),
      efficiencyPercent: round((median(mine.map((r) => r.refreshesPerCpuSecond)) / (signaturesPerCpuSecond / 2)) * 100, 1),
    };
  });
  const b2Summary = o.instances.map((n) => {
    const mine = b2.filter((r) => r.variant === pgVariant(n));
    return {
      variant: pgVariant(n),
      revokes: mine.reduce((a, r) => a + r.revokes, 0),
      p50: round(median(mine.map((r) => r.revokeLatencyMs.p50))),
      p99: round(median(mine.map((r) => r.revokeLatencyMs.p99))),
      staleAcceptances: mine.reduce((a, r) => a + r.staleAcceptances, 0),
      refusedAfterRevoke: mine.reduce((a, r) => a + r.refusedAfterRevoke, 0),
    };
  });
  return { cores, signaturesPerCore, signaturesPerCpuSecond, refreshLimit: round(refreshLimit), b1, b2, summary, b2Summary };
}

export function printPg(r: Awaited<ReturnType<typeof runPg>>): string {
  return [
    table(
      [
        'pair',
        'system',
        'procs',
        'conc.',
        'refresh/s',
        'p50 ms',
        'p99 ms',
        'Portcullis CPU cores',
        'refresh per CPU-s',
        'errors',
        'load avg',
      ],
      r.b1.map((x) => [
        x.pair,
        x.variant,
        x.processes,
        x.concurrency,
        x.rps,
        x.latencyMs.p50,
        x.latencyMs.p99,
        x.serverCpuCores,
        x.refreshesPerCpuSecond,
        Object.entries(x.errors)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || '0',
        x.loadAverage,
      ]),
    ),
    '',
    table(
      [
        'system',
        'median refresh/s',
        'p50 ms',
        'p99 ms',
        'ratio per pair (vs peer)',
        'median ratio',
        `% of RS256 limit (${r.cores} cores, ${r.refreshLimit}/s)`,
        '% per CPU-s (Portcullis processes only)',
      ],
      r.summary.map((s) => [
        s.variant,
        s.rps,
        s.p50,
        s.p99,
        s.ratios.join(', '),
        s.medianRatio ?? '',
        s.percentOfLimit,
        s.efficiencyPercent,
      ]),
    ),
    '',
    table(
      [
        'pair',
        'system',
        'revokes',
        'revoke p50 ms',
        'revoke p99 ms',
        'revoke max ms',
        'refresh/s meanwhile',
        'stale acceptances',
        'refused after revoke',
        'raced (in flight)',
        'revoke errors',
        'load avg',
      ],
      r.b2.map((x) => [
        x.pair,
        x.variant,
        x.revokes,
        x.revokeLatencyMs.p50,
        x.revokeLatencyMs.p99,
        x.revokeLatencyMs.max,
        x.refreshRps,
        x.staleAcceptances,
        x.refusedAfterRevoke,
        x.inFlightAcceptedAtRevoke,
        JSON.stringify(x.revokeErrors),
        x.loadAverage,
      ]),
    ),
    '',
    table(
      ['system', 'revokes', 'median revoke p50 ms', 'median revoke p99 ms', 'stale acceptances (all runs)', 'refused after revoke'],
      r.b2Summary.map((s) => [s.variant, s.revokes, s.p50, s.p99, s.staleAcceptances, s.refusedAfterRevoke]),
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = pgOptions(process.argv.slice(2));
  const m = machine();
  console.log(`B1/B2 on PostgreSQL: ${JSON.stringify(o)}\nmachine: ${JSON.stringify(m)}`);
  const r = await runPg(o);
  console.log(printPg(r));
  console.log(`results: ${writeResult('pg', { scenario: 'B1/B2 PostgreSQL', options: o, machine: m, ...r })}`);
  if (r.b2Summary.some((s) => s.staleAcceptances !== 0)) process.exitCode = 1;
}
