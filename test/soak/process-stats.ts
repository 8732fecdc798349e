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
 * in `output` ("[pid:0xISOLATE]  1234 ms: Mark-Compact 41.2 (60.0) -> 33.9 (58.1) MB, ..."), of the
 * isolate that collected most often: the main thread's (a worker thread, such as the SQLite
 * checkpointer, has an isolate and a trace of its own). NaN before its first full collection.
 */
export function heapAfterLastMarkCompactMiB(output: string): number {
  const lines = new Map<string, number>();
  const lastFull = new Map<string, number>();
  for (const m of output.matchAll(/^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: (\S+)(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/gm)) {
    lines.set(m[1]!, (lines.get(m[1]!) ?? 0) + 1);
    if (m[2] === 'Mark-Compact') lastFull.set(m[1]!, Number(m[3]));
  }
  const main = [...lines.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return (main !== undefined ? lastFull.get(main) : undefined) ?? NaN;
}
