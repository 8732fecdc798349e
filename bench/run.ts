/**
 * `npm run bench`: every implemented scenario with short default durations (B1, B2, B5), one
 * after the other, printing each table and writing bench/results/*.json and bench/results/b1.svg.
 * Options are passed through to the scenarios (e.g. `npm run bench -- --duration 10000 --pairs 5`);
 * `--chart FILE` also writes the B1 chart there (BENCHMARKS.md's chart is made this way).
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { b1Options, printB1, runB1 } from './b1-refresh.js';
import { b2Options, printB2, runB2 } from './b2-revoke.js';
import { printB5, runB5 } from './b5-startup.js';
import { b1Chart } from './lib/chart.js';
import { machine, numberOption, stringOption, writeResult } from './lib/common.js';
import { ROOT } from './lib/processes.js';

const argv = process.argv.slice(2);
const m = machine();
console.log(`Portcullis benchmarks\nmachine: ${JSON.stringify(m)}\n`);
// Short defaults so the whole run takes a few minutes; pass --duration/--pairs for longer runs.
const withDefaults = (defaults: Record<string, string>) => {
  const out = [...argv];
  for (const [k, v] of Object.entries(defaults)) if (!out.includes(`--${k}`)) out.push(`--${k}`, v);
  return out;
};

console.log('B1: refresh-token grant, Portcullis vs node-oidc-provider, interleaved A B A B');
const b1o = b1Options(withDefaults({ duration: '3000', pairs: '3' }));
const b1 = await runB1(b1o);
console.log(printB1(b1.levels, b1.runs));
writeResult('b1', { scenario: 'B1', options: b1o, machine: m, ...b1 });
const subtitle = `${m.nproc} × ${m.cpuModel}, Node ${m.node}, ${b1o.users} users, ${b1o.pairs} pairs of ${b1o.durationMs / 1000} s`;
const svg = b1Chart(b1.levels, b1.runs, subtitle);
const svgFile = join(ROOT, 'bench/results/b1.svg');
writeFileSync(svgFile, svg);
const chartCopy = stringOption(argv, 'chart', '');
if (chartCopy) copyFileSync(svgFile, chartCopy);

console.log('\nB2: revoke latency under B1 load, and the history check');
const b2o = b2Options(withDefaults({ duration: '5000' }));
const b2 = await runB2(b2o);
console.log(printB2(b2));
writeResult('b2', { scenario: 'B2', options: b2o, machine: m, result: b2 });

console.log('\nB5: start-up time to ready');
const runs = numberOption(argv, 'runs', 5);
const [b5] = await runB5(runs);
if (!b5) throw new Error('B5 gave no result');
console.log(printB5(b5));
writeResult('b5', { scenario: 'B5', runs, machine: m, result: b5 });

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const one = b1.levels.find((l) => l.level === 'one');
const all = b1.levels.find((l) => l.level === 'all');
console.log('\nTargets');
for (const l of [one, all]) {
  if (!l) continue;
  console.log(
    `  B1 ${l.level === 'one' ? '1 core' : 'all cores'}: ${l.medianRatio}× the peer (target ≥ 2×: ${verdict(l.medianRatio >= 2)}); ${l.portcullis.percentOfLimit}% of the RS256 limit (target ≥ 70%: ${verdict(l.portcullis.percentOfLimit >= 70)})`,
  );
}
console.log(
  `  B2: revoke p99 ${b2.revokeLatencyMs.p99.toFixed(2)} ms (target < 10 ms: ${verdict(b2.revokeLatencyMs.p99 < 10)}); stale acceptances ${b2.staleAcceptances} (target 0: ${verdict(b2.staleAcceptances === 0)})`,
);
console.log(
  `  B5: ready in ${b5.emptyDataDirMs.p50.toFixed(0)} ms on an empty data dir (target < 1000 ms: ${verdict(b5.emptyDataDirMs.p50 < 1000)})`,
);
console.log(`\nresults: bench/results/ (b1.json, b2.json, b5.json, b1.svg)`);
if (b2.staleAcceptances !== 0) process.exitCode = 1;
