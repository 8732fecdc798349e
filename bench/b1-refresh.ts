/**
 * B1: refresh-token grant throughput and latency, Portcullis (embedded SQLite, synchronous=FULL)
 * against node-oidc-provider (Map adapter), side by side in one run: for each level, pairs of
 * runs A (Portcullis) then B (peer), each on a freshly started and seeded server, and the ratio
 * A/B per pair and its median. Levels:
 * - "1 core": each server pinned to one CPU with taskset, the load generator on another;
 * - "all cores": nothing pinned. Portcullis runs the shipped `portcullis serve`, one process whose
 *   event loop hands the RSA signatures to libuv's thread pool (so it uses every core); with
 *   `--workers N` it runs N node:cluster processes on one SQLite file instead (measured: same
 *   throughput, ~10% more CPU per refresh, see BENCHMARKS.md). The peer runs its single process
 *   (its Map adapter is in-process state; its WebCrypto signing also uses libuv's thread pool).
 * The RS256 limit is measured in the same run, before every pair, on one pinned CPU.
 * Usage: npm run bench:b1 -- [--duration ms] [--warmup ms] [--pairs n] [--users n]
 *        [--concurrency-one n] [--concurrency-all n] [--workers n] [--max-requests n] [--levels one,all]
 */
import { availableParallelism } from 'node:os';
import { runClosedLoop } from './lib/loadgen.js';
import { cpuSeconds, mainThreadCpuSeconds, pinSelf, requireBuild, rssMiB } from './lib/processes.js';
import { machine, numberOption, rs256Probe, sleep, stringOption, writeResult } from './lib/common.js';
import { median, round, summarise, table, type LatencySummary } from './lib/stats.js';
import { startPeer, startPortcullis, type Running, type SystemName } from './lib/targets.js';

export interface B1Options {
  durationMs: number;
  warmupMs: number;
  pairs: number;
  users: number;
  concurrencyOne: number;
  concurrencyAll: number;
  workers: number;
  maxRequests: number;
  levels: ('one' | 'all')[];
}

export interface B1Run {
  level: 'one' | 'all';
  pair: number;
  system: SystemName;
  concurrency: number;
  processes: number;
  rps: number;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  latencyMs: LatencySummary;
  serverCpuSeconds: number;
  serverCpuCores: number;
  refreshesPerCpuSecond: number;
  /** CPU time of the server's main thread(s) per refresh: the event loop's own work. */
  mainThreadUsPerRefresh: number;
  serverRssMiB: number;
}

export interface B1Level {
  level: 'one' | 'all';
  cores: number;
  pairs: {
    pair: number;
    portcullisRps: number;
    peerRps: number;
    ratio: number;
    signaturesPerCore: number;
    signaturesPerCpuSecond: number;
  }[];
  medianRatio: number;
  /** Wall-clock RS256 signatures/s on one pinned core during this run (other load included). */
  signaturesPerCore: number;
  /** The same probe per CPU-second it got: the silicon's limit. */
  signaturesPerCpuSecond: number;
  /** limit/2 refreshes per second per core, times the cores the level may use. */
  refreshLimit: number;
  /**
   * percentOfLimit: refresh/s against the wall-clock limit of the level's cores;
   * efficiencyPercent: refreshes per server CPU-second against signaturesPerCpuSecond / 2.
   */
  portcullis: { rps: number; p50: number; p99: number; percentOfLimit: number; efficiencyPercent: number; mainThreadUsPerRefresh: number };
  peer: { rps: number; p50: number; p99: number; percentOfLimit: number; efficiencyPercent: number; mainThreadUsPerRefresh: number };
}

export function b1Options(argv: readonly string[]): B1Options {
  const n = availableParallelism();
  return {
    durationMs: numberOption(argv, 'duration', 5000),
    warmupMs: numberOption(argv, 'warmup', 1000),
    pairs: numberOption(argv, 'pairs', 3),
    users: numberOption(argv, 'users', 10_000),
    concurrencyOne: numberOption(argv, 'concurrency-one', 16),
    concurrencyAll: numberOption(argv, 'concurrency-all', 32),
    workers: numberOption(argv, 'workers', 1),
    maxRequests: numberOption(argv, 'max-requests', 500_000),
    levels: stringOption(argv, 'levels', 'one,all')
      .split(',')
      .filter((l): l is 'one' | 'all' => l === 'one' || l === 'all'),
  };
}

export async function measure(running: Running, o: B1Options, level: 'one' | 'all', pair: number, processes: number): Promise<B1Run> {
  const concurrency = level === 'one' ? o.concurrencyOne : o.concurrencyAll;
  let cpuStart = 0;
  let mainStart = 0;
  const sampler = setTimeout(() => {
    cpuStart = cpuSeconds(running.server.pids);
    mainStart = mainThreadCpuSeconds(running.server.pids);
  }, o.warmupMs);
  const result = await runClosedLoop(running.target, running.chains, {
    concurrency,
    durationMs: o.durationMs,
    warmupMs: o.warmupMs,
    maxRequests: o.maxRequests,
  });
  clearTimeout(sampler);
  const cpu = cpuSeconds(running.server.pids) - cpuStart;
  const mainCpu = mainThreadCpuSeconds(running.server.pids) - mainStart;
  const seconds = result.elapsedMs / 1000;
  return {
    level,
    pair,
    system: running.system,
    concurrency,
    processes,
    rps: round(result.rps, 1),
    requests: result.requests,
    ok: result.ok,
    errors: result.errors,
    latencyMs: summarise(result.latenciesMs),
    serverCpuSeconds: round(cpu),
    serverCpuCores: round(cpu / seconds),
    refreshesPerCpuSecond: round(cpu > 0 ? result.ok / cpu : Number.NaN, 1),
    mainThreadUsPerRefresh: round((mainCpu / Math.max(1, result.ok)) * 1e6, 1),
    serverRssMiB: round(rssMiB(running.server.pids), 1),
  };
}

export async function runB1(o: B1Options, log: (line: string) => void = console.log): Promise<{ runs: B1Run[]; levels: B1Level[] }> {
  requireBuild();
  const n = availableParallelism();
  const serverCpu = String(n - 1);
  const runs: B1Run[] = [];
  const levels: B1Level[] = [];
  for (const level of o.levels) {
    const cores = level === 'one' ? 1 : n;
    // One core: the servers get the last CPU, the load generator (this process) the first.
    await pinSelf(level === 'one' ? '0' : `0-${n - 1}`);
    const cpus = level === 'one' ? serverCpu : undefined;
    const pairs: B1Level['pairs'] = [];
    for (let pair = 1; pair <= o.pairs; pair++) {
      const probe = rs256Probe(serverCpu);
      const workers = level === 'one' ? 1 : o.workers;
      const a = await startPortcullis({ users: o.users, workers, ...(cpus ? { cpus } : {}) });
      const ra = await measure(a, o, level, pair, workers).finally(() => a.stop());
      runs.push(ra);
      log(
        `  B1 ${level} pair ${pair} portcullis: ${ra.rps} refresh/s p50 ${round(ra.latencyMs.p50)} ms p99 ${round(ra.latencyMs.p99)} ms cpu ${ra.serverCpuCores} cores ${JSON.stringify(ra.errors)}`,
      );
      await sleep(300);
      const b = await startPeer({ users: o.users, ...(cpus ? { cpus } : {}) });
      const rb = await measure(b, o, level, pair, 1).finally(() => b.stop());
      runs.push(rb);
      log(
        `  B1 ${level} pair ${pair} oidc-provider: ${rb.rps} refresh/s p50 ${round(rb.latencyMs.p50)} ms p99 ${round(rb.latencyMs.p99)} ms cpu ${rb.serverCpuCores} cores ${JSON.stringify(rb.errors)}`,
      );
      pairs.push({
        pair,
        portcullisRps: ra.rps,
        peerRps: rb.rps,
        ratio: round(ra.rps / rb.rps),
        signaturesPerCore: probe.signaturesPerSecond,
        signaturesPerCpuSecond: probe.signaturesPerCpuSecond,
      });
      await sleep(300);
    }
    const signaturesPerCore = median(pairs.map((p) => p.signaturesPerCore));
    const signaturesPerCpuSecond = median(pairs.map((p) => p.signaturesPerCpuSecond));
    const perCore = signaturesPerCore / 2;
    const refreshLimit = perCore * cores;
    const summary = (system: SystemName) => {
      const mine = runs.filter((r) => r.level === level && r.system === system);
      const rps = median(mine.map((r) => r.rps));
      return {
        rps,
        p50: round(median(mine.map((r) => r.latencyMs.p50))),
        p99: round(median(mine.map((r) => r.latencyMs.p99))),
        percentOfLimit: round((rps / refreshLimit) * 100, 1),
        efficiencyPercent: round((median(mine.map((r) => r.refreshesPerCpuSecond)) / (signaturesPerCpuSecond / 2)) * 100, 1),
        mainThreadUsPerRefresh: median(mine.map((r) => r.mainThreadUsPerRefresh)),
      };
    };
    levels.push({
      level,
      cores,
      pairs,
      medianRatio: round(median(pairs.map((p) => p.ratio))),
      signaturesPerCore,
      signaturesPerCpuSecond,
      refreshLimit: round(refreshLimit),
      portcullis: summary('portcullis'),
      peer: summary('oidc-provider'),
    });
  }
  await pinSelf(`0-${n - 1}`);
  return { runs, levels };
}

export function printB1(levels: B1Level[], runs: B1Run[]): string {
  const out: string[] = [];
  out.push(
    table(
      [
        'level',
        'pair',
        'system',
        'procs',
        'conc.',
        'refresh/s',
        'p50 ms',
        'p99 ms',
        'server CPU cores',
        'refresh per CPU-s',
        'main-thread µs/refresh',
        'errors',
      ],
      runs.map((r) => [
        r.level === 'one' ? '1 core' : 'all cores',
        r.pair,
        r.system,
        r.processes,
        r.concurrency,
        r.rps,
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.serverCpuCores,
        r.refreshesPerCpuSecond,
        r.mainThreadUsPerRefresh,
        Object.entries(r.errors)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || '0',
      ]),
    ),
  );
  out.push('');
  out.push(
    table(
      [
        'level',
        'ratio per pair (Portcullis/peer)',
        'median ratio',
        'RS256 sig/s/core (per CPU-s)',
        'refresh limit/s',
        'Portcullis refresh/s',
        '% of limit',
        '% of limit per CPU-s',
        'peer refresh/s',
        'peer % of limit',
        'peer % per CPU-s',
      ],
      levels.map((l) => [
        l.level === 'one' ? '1 core' : `all cores (${l.cores})`,
        l.pairs.map((p) => p.ratio).join(', '),
        l.medianRatio,
        `${l.signaturesPerCore} (${l.signaturesPerCpuSecond})`,
        l.refreshLimit,
        l.portcullis.rps,
        l.portcullis.percentOfLimit,
        l.portcullis.efficiencyPercent,
        l.peer.rps,
        l.peer.percentOfLimit,
        l.peer.efficiencyPercent,
      ]),
    ),
  );
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = b1Options(process.argv.slice(2));
  const m = machine();
  console.log(`B1 refresh-token grant: ${JSON.stringify(o)}\nmachine: ${JSON.stringify(m)}`);
  const { runs, levels } = await runB1(o);
  console.log(printB1(levels, runs));
  console.log(`results: ${writeResult('b1', { scenario: 'B1', options: o, machine: m, levels, runs })}`);
}
