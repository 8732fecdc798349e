/** What every scenario shares: the machine description, the RS256 limit probe, result files. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT, hasTaskset } from './processes.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  taskset: boolean;
  loadAverageAtStart: string;
}

export function machine(): Machine {
  let cpuModel = 'unknown';
  let loadAverageAtStart = '';
  try {
    cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
    loadAverageAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    /* not Linux */
  }
  return {
    nproc: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    taskset: hasTaskset(),
    loadAverageAtStart,
  };
}

/** RS256 signatures per second on one core (node:crypto, 2048-bit key), pinned to `cpu`. */
export function rs256SignaturesPerCore(cpu: string, ms = 1000): number {
  return rs256Probe(cpu, ms).signaturesPerSecond;
}

/** Wall-clock signatures/s on the pinned core, and signatures per CPU-second the probe got. */
export function rs256Probe(cpu: string, ms = 1000): { signaturesPerSecond: number; signaturesPerCpuSecond: number } {
  const args = [join(ROOT, 'bench/servers/rs256-limit.mjs'), String(ms)];
  const out = hasTaskset()
    ? execFileSync('taskset', ['-c', cpu, process.execPath, ...args], { encoding: 'utf8' })
    : execFileSync(process.execPath, args, { encoding: 'utf8' });
  return JSON.parse(out) as { signaturesPerSecond: number; signaturesPerCpuSecond: number };
}

/** Writes bench/results/<name>.json (latest) and a timestamped copy; returns the path. */
export function writeResult(name: string, data: unknown): string {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const body = `${JSON.stringify(data, null, 2)}\n`;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${name}-${stamp}.json`), body);
  const latest = join(dir, `${name}.json`);
  writeFileSync(latest, body);
  return latest;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads a numeric option from `--name value` or BENCH_NAME, else the default. */
export function numberOption(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const raw = i >= 0 ? argv[i + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got '${raw}'`);
  return n;
}

export function stringOption(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return (i >= 0 ? argv[i + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`]) ?? fallback;
}
