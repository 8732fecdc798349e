/**
 * The real `portcullis serve` (src/cli/main.ts under tsx) in a child process, for tests of what it
 * does on start: its output, its files. Every wait is bounded; `killAll` in `after` leaves nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const children = new Set<ChildProcess>();

export interface Served {
  output: () => string;
  /** http://127.0.0.1:<port>, from the issuer line. */
  base: string;
  tenantId: string;
  /** The server's process id (its event loop's thread id too). */
  pid: number;
  stop: () => Promise<number | null>;
}

/**
 * Runs `portcullis serve ...args` until 'Portcullis ready' (or exit, or `timeoutMs`). `env` adds
 * variables, e.g. XDG_CONFIG_HOME for --tls-self-signed, whose certificate is per machine.
 */
export async function startServe(args: readonly string[], timeoutMs = 120_000, env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--log-level', 'silent', ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve not ready within ${timeoutMs} ms: ${out}`)), timeoutMs);
    const check = () => {
      if (/^Portcullis ready\n(?:.*\n)*? {2}tenant: .*\n/m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before it was ready: ${out}`));
    });
  });
  const issuer = /^ {2}issuer: +(\S+)$/m.exec(out)?.[1] ?? '';
  const url = new URL(issuer.replace('localhost', '127.0.0.1'));
  return {
    output: () => out,
    base: url.origin,
    tenantId: url.pathname.split('/')[1] ?? '',
    pid: child.pid as number,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
