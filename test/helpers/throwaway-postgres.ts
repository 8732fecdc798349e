import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);

/**
 * A PostgreSQL server of the test's own — initdb into a temp dir, listening on a free port on
 * 127.0.0.1 — that the test may stop and restart. The shared server on 5432 (other test files
 * use it at the same time) is never touched. Debian's binaries live in
 * /usr/lib/postgresql/<version>/bin; PostgreSQL refuses to run as root, so as root every
 * command runs as the `postgres` OS user through runuser(1).
 */
function binDir(): string | null {
  const fromEnv = process.env.PORTCULLIS_TEST_PG_BINDIR;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  const found = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  return found ?? null;
}

const asRoot = process.getuid?.() === 0;

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export class ThrowawayPostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** postgres://postgres@127.0.0.1:<port>/<database> (trust authentication, loopback only). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private async tool(name: string, args: string[], timeoutMs = 60_000): Promise<string> {
    const file = join(this.bin, name);
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
    const { stdout } = await run(cmd, argv, { timeout: timeoutMs });
    return stdout;
  }

  static async start(): Promise<ThrowawayPostgres> {
    const bin = binDir();
    if (!bin) throw new Error('no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin');
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-'));
    if (asRoot) {
      const { uid, gid } = await postgresIds();
      chownSync(dir, uid, gid);
    }
    const server = new ThrowawayPostgres(bin, dir, await freePort());
    try {
      await server.tool('initdb', ['-D', server.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-instructions']);
      await server.pgCtlStart();
    } catch (e) {
      await server.destroy();
      throw e;
    }
    return server;
  }

  private pgCtlStart(): Promise<string> {
    // Sockets in the temp dir (not /var/run/postgresql, which the shared cluster owns).
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir}`;
    return this.tool('pg_ctl', ['start', '-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-w', '-t', '30', '-o', options]);
  }

  /**
   * Fast shutdown (open sessions are terminated, their transactions rolled back), down for
   * `downMs`, start again. Times are performance.now(): when the stop was asked for, when the
   * server was down, when it accepted connections again.
   */
  async restart(downMs: number): Promise<{ stopAskedAt: number; stoppedAt: number; startedAt: number }> {
    const stopAskedAt = performance.now();
    await this.tool('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '30']);
    const stoppedAt = performance.now();
    await new Promise((r) => setTimeout(r, downMs));
    await this.pgCtlStart();
    return { stopAskedAt, stoppedAt, startedAt: performance.now() };
  }

  /** Stops the server at once and removes its directory. */
  async destroy(): Promise<void> {
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      await this.tool('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'immediate', '-w', '-t', '30']).catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Like requirePostgres: true when initdb is available; otherwise a visible failing (CI) or skipped test. */
export function requireServerBinaries(suite: string): boolean {
  if (binDir()) return true;
  const message = `${suite}: no PostgreSQL server binaries (set PORTCULLIS_TEST_PG_BINDIR or install postgresql)`;
  if (process.env.CI === 'true') {
    test(`${suite} (PostgreSQL server binaries required under CI)`, () => {
      throw new Error(message);
    });
  } else {
    console.log(`SKIPPED ${message}`);
    test(suite, { skip: message }, () => undefined);
  }
  return false;
}
