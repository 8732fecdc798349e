/** Starting, watching and stopping the server processes a benchmark talks to. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Server {
  proc: ChildProcess;
  port: number;
  /** Every process that does the server's work (cluster workers as well as the primary). */
  pids: number[];
  /** Everything the process printed on stdout until it was ready. */
  banner: string;
  stop(): Promise<void>;
}

let tasksetChecked: boolean | null = null;
/** `taskset` pins a process to CPUs; without it the run is unpinned and says so. */
export function hasTaskset(): boolean {
  if (tasksetChecked === null) tasksetChecked = ['/usr/bin/taskset', '/bin/taskset'].some((p) => existsSync(p));
  return tasksetChecked;
}

export function requireBuild(): void {
  if (!existsSync(`${ROOT}dist/cli/main.js`)) {
    throw new Error('dist/ is missing: run `npm run build` first (npm run bench does it for you)');
  }
}

/**
 * Spawns `node args...` (pinned to `cpus` with taskset when given) and waits until stdout
 * matches `ready`; `parse` turns the banner into a port and the pids to account CPU for.
 */
export async function startServer(opts: {
  args: string[];
  cpus?: string;
  env?: NodeJS.ProcessEnv;
  ready: RegExp;
  parse: (banner: string, pid: number) => { port: number; pids: number[] };
  timeoutMs?: number;
}): Promise<Server> {
  const [cmd, argv] =
    opts.cpus && hasTaskset() ? ['taskset', ['-c', opts.cpus, process.execPath, ...opts.args]] : [process.execPath, opts.args];
  const proc = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let banner = '';
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not get ready in time:\n${banner}\n${stderr}`)), opts.timeoutMs ?? 60_000);
    proc.stdout?.on('data', (d: Buffer) => {
      banner += d.toString();
      if (opts.ready.test(banner)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready:\n${banner}\n${stderr}`));
    });
  });
  // taskset execs node in place, so proc.pid is the server's own pid.
  const { port, pids } = opts.parse(banner, proc.pid as number);
  return {
    proc,
    port,
    pids,
    banner,
    stop: () => stopProcess(proc),
  };
}

export function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds the processes have used so far (Linux /proc; 0 elsewhere). */
export function cpuSeconds(pids: readonly number[]): number {
  return statTicks(pids.map((pid) => `/proc/${pid}/stat`)) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of the processes' MAIN threads only (the thread whose id is the pid): the event
 * loop's own work, without the thread pool's (signatures, argon2) or the GC helpers'.
 */
export function mainThreadCpuSeconds(pids: readonly number[]): number {
  return statTicks(pids.map((pid) => `/proc/${pid}/task/${pid}/stat`)) / TICKS_PER_SECOND;
}

function statTicks(files: readonly string[]): number {
  let ticks = 0;
  for (const file of files) {
    try {
      const stat = readFileSync(file, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      /* gone or not Linux */
    }
  }
  return ticks;
}

/** Resident set size in MiB (VmRSS), summed over the processes. */
export function rssMiB(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kb / 1024;
}

/** Pins this process (all its threads) to `cpus`, or back to every CPU; no-op without taskset. */
export async function pinSelf(cpus: string): Promise<void> {
  if (!hasTaskset()) return;
  await new Promise<void>((resolve) => {
    const p = spawn('taskset', ['-a', '-c', '-p', cpus, String(process.pid)], { stdio: 'ignore' });
    p.once('exit', () => resolve());
    p.once('error', () => resolve());
  });
}
