import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';

export interface MemoryFigures {
  heapUsed: number;
  rss: number;
}

/** The fuzzed server: a child process on loopback, a keep-alive connection pool to it, its log. */
export class FuzzServer {
  private log = '';
  readonly pool: Pool;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly origin: string,
  ) {
    this.pool = new Pool(origin, { connections: 8, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
    const keep = (d: Buffer) => {
      // The last 256 KiB of the server's log (errors with stacks), for the failure report.
      this.log = (this.log + d.toString()).slice(-262_144);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  /** On a SQLite file of its own, or on the given empty PostgreSQL database. */
  static async start(databaseUrl?: string): Promise<FuzzServer> {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-fuzz-'));
    const script = new URL('./fuzz-server.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, dir, ...(databaseUrl ? [databaseUrl] : [])], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`fuzz server did not start: ${out}`)), 60_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /READY (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => reject(new Error(`fuzz server exited with ${code}: ${out}`)));
    });
    return new FuzzServer(child, dir, `http://127.0.0.1:${port}`);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  recentLog(chars = 4000): string {
    return this.log.slice(-chars);
  }

  /** Heap and RSS right after a full GC in the server process. */
  memory(): Promise<MemoryFigures> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no memory answer from the fuzz server')), 30_000);
      this.child.once('message', (m: { usage: NodeJS.MemoryUsage; gc: boolean }) => {
        clearTimeout(timer);
        if (!m.gc) reject(new Error('the fuzz server runs without --expose-gc'));
        else resolve({ heapUsed: m.usage.heapUsed, rss: m.usage.rss });
      });
      this.child.send({ type: 'memory' });
    });
  }

  async stop(): Promise<void> {
    await this.pool.close().catch(() => undefined);
    if (!this.exited) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.disconnect();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
