import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { freePort, killHard } from '../helpers/processes.js';

/**
 * A real `portcullis serve` process on a SQLite data directory, started from the compiled CLI
 * (dist/, as an operator runs it: `npm run build` first), for the fault and soak tests. Bounded:
 * start-up waits at most `startTimeoutMs` for the 'Portcullis ready' line.
 */
export const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' before these tests`);
}

export interface ServerOptions {
  dataDir: string;
  seedFile?: string;
  port?: number;
  startTimeoutMs?: number;
  /** More `serve` flags, e.g. --database-url, --public-url. */
  extraArgs?: readonly string[];
  /** Flags for node itself, before the script, e.g. --trace-gc (the soak reads heap after GC from it). */
  nodeArgs?: readonly string[];
}

export class ServerProcess {
  private out = '';
  private err = '';
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get pid(): number {
    return this.child.pid!;
  }
  get output(): string {
    return `${this.out}${this.err}`;
  }

  static async start(opts: ServerOptions): Promise<ServerProcess> {
    requireBuiltCli();
    const port = opts.port ?? (await freePort());
    const args = [
      ...(opts.nodeArgs ?? []),
      CLI,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data-dir',
      opts.dataDir,
      '--log-level',
      'silent',
    ];
    if (opts.seedFile) args.push('--seed', opts.seedFile);
    args.push(...(opts.extraArgs ?? []));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ServerProcess(child, port);
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve not ready within ${timeoutMs} ms: ${server.output}`)), timeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        server.out += d.toString();
        if (server.out.includes('Portcullis ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (d: Buffer) => (server.err += d.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`serve exited (${code ?? signal}) before it was ready: ${server.output}`));
      });
    }).catch(async (e: unknown) => {
      await killHard(child);
      throw e;
    });
    return server;
  }

  /** kill -9: no shutdown code runs. */
  kill(): Promise<void> {
    return killHard(this.child);
  }

  /** SIGTERM, bounded; SIGKILL if it has not stopped in time. Resolves with the exit code. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Runs the compiled `portcullis` with `args` to completion; bounded by `timeoutMs`. */
export function runCli(args: readonly string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): Promise<CliRun> {
  requireBuiltCli();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`portcullis ${args.join(' ')} timed out: ${out} ${err}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: performance.now() - started });
    });
  });
}

/**
 * Starts the compiled `portcullis` with `args` and sends SIGKILL `delayMs` after it started — or,
 * with `once`, `delayMs` after `once()` first returned true (polled every millisecond), to aim the
 * kill at a phase rather than at Node's start-up. kill -9: no handler, no flush, no close.
 * Resolves when the process is gone: `killed` is false when it had finished by itself first.
 * Bounded by `timeoutMs` in any case.
 */
export function runCliKilledAfter(
  args: readonly string[],
  delayMs: number,
  opts: { once?: () => boolean; timeoutMs?: number } = {},
): Promise<{ killed: boolean; code: number | null; out: string }> {
  requireBuiltCli();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    let kill: NodeJS.Timeout | null = null;
    const arm = () => (kill = setTimeout(() => child.kill('SIGKILL'), delayMs));
    const poll = opts.once
      ? setInterval(() => {
          if (kill === null && opts.once!()) {
            clearInterval(poll!);
            arm();
          }
        }, 1)
      : null;
    if (!poll) arm();
    const bound = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('exit', (code, signal) => {
      if (poll) clearInterval(poll);
      if (kill) clearTimeout(kill);
      clearTimeout(bound);
      resolve({ killed: signal === 'SIGKILL', code, out });
    });
  });
}
