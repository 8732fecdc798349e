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
