/**
 * Before/after for one optimisation: two builds of Portcullis (directories holding a compiled
 * dist/, e.g. a copy of dist/ made before the change) measured under B1's refresh load,
 * interleaved A B A B on freshly seeded servers, with the ratio B/A per pair and its median.
 * Keep the copies inside the repository (bench/results/builds/ is ignored by git) so they
 * resolve node_modules.
 * Usage: node --import tsx bench/compare-builds.ts --a bench/results/builds/before --b dist
 *        [--level one|all] [--workers n | --workers-a n --workers-b n] [--pairs n] [--duration ms]
 *        [--users n] [--concurrency n]
 */
import { availableParallelism } from 'node:os';
import { machine, numberOption, rs256SignaturesPerCore, sleep, stringOption, writeResult } from './lib/common.js';
import { runClosedLoop } from './lib/loadgen.js';
import { cpuSeconds, mainThreadCpuSeconds, pinSelf } from './lib/processes.js';
import { median, round, summarise, table } from './lib/stats.js';
import { startPortcullis } from './lib/targets.js';

const argv = process.argv.slice(2);
const a = stringOption(argv, 'a', '');
const b = stringOption(argv, 'b', 'dist');
if (!a) throw new Error('--a DIR (the "before" build) is required');
const level = stringOption(argv, 'level', 'one');
const n = availableParallelism();
const workers = level === 'one' ? 1 : numberOption(argv, 'workers', 1);
// Or compare process counts of one build: --workers-a 1 --workers-b 2.
const workersOf = (side: 'a' | 'b') => (level === 'one' ? 1 : numberOption(argv, `workers-${side}`, workers));
const pairs = numberOption(argv, 'pairs', 3);
const durationMs = numberOption(argv, 'duration', 4000);
const warmupMs = numberOption(argv, 'warmup', 1000);
const users = numberOption(argv, 'users', 10_000);
const concurrency = numberOption(argv, 'concurrency', level === 'one' ? 16 : 32);
const cpus = level === 'one' ? String(n - 1) : undefined;
await pinSelf(level === 'one' ? '0' : `0-${n - 1}`);

const runs: {
  pair: number;
  build: string;
  rps: number;
  p50: number;
  p99: number;
  cpuCores: number;
  perCpuSecond: number;
  mainUs: number;
  errors: Record<string, number>;
}[] = [];
const sig: number[] = [];
for (let pair = 1; pair <= pairs; pair++) {
  sig.push(rs256SignaturesPerCore(String(n - 1)));
  for (const [side, dist] of [
    ['a', a],
    ['b', b],
  ] as const) {
    const running = await startPortcullis({ users, workers: workersOf(side), dist, ...(cpus ? { cpus } : {}) });
    let cpuStart = 0;
    let mainStart = 0;
    const t = setTimeout(() => {
      cpuStart = cpuSeconds(running.server.pids);
      mainStart = mainThreadCpuSeconds(running.server.pids);
    }, warmupMs);
    const r = await runClosedLoop(running.target, running.chains, { concurrency, durationMs, warmupMs, maxRequests: 1_000_000 }).finally(
      () => clearTimeout(t),
    );
    const cpu = cpuSeconds(running.server.pids) - cpuStart;
    const mainUs = round(((mainThreadCpuSeconds(running.server.pids) - mainStart) / Math.max(1, r.ok)) * 1e6, 1);
    await running.stop();
    const lat = summarise(r.latenciesMs);
    runs.push({
      pair,
      build: `${dist} ×${workersOf(side)}`,
      rps: round(r.rps, 1),
      p50: round(lat.p50),
      p99: round(lat.p99),
      cpuCores: round(cpu / (r.elapsedMs / 1000)),
      perCpuSecond: round(r.ok / cpu, 1),
      mainUs,
      errors: r.errors,
    });
    console.log(
      `  pair ${pair} ${dist} ×${workersOf(side)}: ${round(r.rps, 1)} refresh/s p50 ${round(lat.p50)} ms p99 ${round(lat.p99)} ms, ${round(r.ok / cpu, 1)} per CPU-s, main thread ${mainUs} µs/refresh ${JSON.stringify(r.errors)}`,
    );
    await sleep(300);
  }
}
const ratios = Array.from({ length: pairs }, (_, i) => {
  const [ra, rb] = runs.filter((r) => r.pair === i + 1);
  return round((rb?.rps ?? 0) / (ra?.rps ?? 1));
});
const cpuRatios = Array.from({ length: pairs }, (_, i) => {
  const [ra, rb] = runs.filter((r) => r.pair === i + 1);
  return round((rb?.perCpuSecond ?? 0) / (ra?.perCpuSecond ?? 1));
});
const mainRatios = Array.from({ length: pairs }, (_, i) => {
  const [ra, rb] = runs.filter((r) => r.pair === i + 1);
  return round((rb?.mainUs ?? 0) / (ra?.mainUs ?? 1));
});
console.log(
  table(
    ['pair', 'build', 'refresh/s', 'p50 ms', 'p99 ms', 'server CPU cores', 'refresh per CPU-s', 'main-thread µs/refresh'],
    runs.map((r) => [r.pair, r.build, r.rps, r.p50, r.p99, r.cpuCores, r.perCpuSecond, r.mainUs]),
  ),
);
const med = (build: string, k: 'rps' | 'p50' | 'p99' | 'perCpuSecond' | 'mainUs') =>
  median(runs.filter((r) => r.build.startsWith(`${build} `)).map((r) => r[k]));
console.log(`level ${level} (${workers} process${workers > 1 ? 'es' : ''}, concurrency ${concurrency}); RS256 ${median(sig)} sig/s/core`);
for (const [name, dir] of [
  ['A', a],
  ['B', b],
] as const) {
  console.log(
    `${name} ${dir}: median ${med(dir, 'rps')} refresh/s, p50 ${med(dir, 'p50')} ms, p99 ${med(dir, 'p99')} ms, ${med(dir, 'perCpuSecond')} per CPU-s, main thread ${med(dir, 'mainUs')} µs/refresh`,
  );
}
console.log(`B/A throughput per pair: ${ratios.join(', ')}; median ${median(ratios)}`);
console.log(
  `B/A refreshes per CPU-s: ${cpuRatios.join(', ')}; median ${median(cpuRatios)}; B/A main-thread µs per refresh: ${mainRatios.join(', ')}; median ${median(mainRatios)}`,
);
writeResult('compare', {
  machine: machine(),
  a,
  b,
  level,
  workers,
  concurrency,
  pairs,
  durationMs,
  users,
  signaturesPerCore: median(sig),
  runs,
  ratios,
  medianRatio: median(ratios),
  cpuRatios,
  mainRatios,
  medianMainRatio: median(mainRatios),
});
