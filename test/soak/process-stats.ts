import { readFileSync, readdirSync } from 'node:fs';

/**
 * Resource use of a running process, read from Linux's /proc (proc(5)): resident memory (VmRSS
 * in /proc/PID/status) and open file descriptors (the entries of /proc/PID/fd).
 */
export interface ProcessStats {
  rssBytes: number;
  fds: number;
}

export function processStats(pid: number): ProcessStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return { rssBytes: Number(kib) * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * The V8 heap in use (MiB) right after the latest full collection that node's --trace-gc printed
 * in `output` ("Mark-Compact 41.2 (60.0) -> 33.9 (58.1) MB, ..."); NaN before the first one.
 */
export function heapAfterLastMarkCompactMiB(output: string): number {
  const at = output.lastIndexOf('Mark-Compact');
  if (at < 0) return NaN;
  const m = /^Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(output.slice(at, at + 200));
  return m ? Number(m[1]) : NaN;
}
