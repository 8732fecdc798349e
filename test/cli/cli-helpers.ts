/**
 * Drives the real `portcullis` CLI as a child process (`node --import tsx src/cli/main.ts`)
 * against a real Portcullis listening on 127.0.0.1, with XDG_CONFIG_HOME in a temp dir so the
 * session file is the test's own. Device sign-in is completed over HTTP on the server's
 * /devicelogin page, the way a person at a browser would.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CLIENT_ID } from '../../src/cli/commands/login.js';
import type { AppConfig } from '../../src/config.js';
import { PASSWORD, application, type Harness } from '../helpers/harness.js';
import { listeningHarness } from '../helpers/listening.js';

export const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
export type Server = Harness & { url: string; port: number };

export async function startServer(config: Partial<AppConfig> = {}): Promise<Server> {
  // A 1-second device polling interval keeps sign-in short (Entra's is 5).
  const h = await listeningHarness({ tokens: { deviceCodeIntervalSeconds: 1 } as never, ...config });
  // The demo tenant's "Portcullis CLI" app: the CLI's default client id.
  await h.store.applications.upsert(
    application({
      appId: DEFAULT_CLIENT_ID,
      displayName: 'Portcullis CLI',
      publicClientRedirectUris: ['http://localhost'],
      allowPublicClientFlows: true,
    }),
  );
  return h;
}

export function tempConfigHome(): string {
  return mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  xdg: string;
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /**
   * Run in a new session (setsid, the default): no controlling terminal, so the CLI cannot ask
   * on /dev/tty and behaves the same whether or not the test runner has a terminal.
   */
  detached?: boolean;
  /** Called with stdout as it grows (e.g. to read the device code). */
  onStdout?: (soFar: string) => void;
}

export function cli(args: string[], o: RunOptions): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: o.xdg, XDG_CONFIG_HOME: o.xdg, ...o.env },
    stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: o.detached ?? true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    o.onStdout?.(stdout);
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (o.input !== undefined) child.stdin!.end(o.input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`portcullis ${args.join(' ')} timed out: ${stdout} ${stderr}`));
    }, o.timeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

/** The person at the browser: open the page, enter the code, sign in. */
export async function approveDevice(verificationUri: string, userCode: string, username: string): Promise<void> {
  const cookies: string[] = [];
  const keep = (res: Response) => cookies.push(...res.headers.getSetCookie().map((c) => c.split(';')[0]!));
  const page = await fetch(verificationUri, { signal: AbortSignal.timeout(10_000) });
  keep(page);
  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const csrf = csrfOf(await page.text());
  const post = async (url: string, fields: Record<string, string>, token = csrf) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { cookie: cookies.join('; '), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, ...fields }),
      signal: AbortSignal.timeout(10_000),
    });
    keep(res);
    return res;
  };
  assert.equal((await post(verificationUri, { user_code: userCode })).status, 200);
  const signedIn = await post(`${verificationUri}/approve`, { user_code: userCode, action: 'sign-in', username, password: PASSWORD });
  // The confirmation page: only its Continue approves the device.
  const done = await post(`${verificationUri}/approve`, { user_code: userCode, action: 'confirm' }, csrfOf(await signedIn.text()));
  assert.match(await done.text(), /You have signed in to/);
}

/** `portcullis login` by device code, completed through /devicelogin as `username`. */
export async function deviceLogin(server: Server, xdg: string, username: string, extra: string[] = []): Promise<CliRun> {
  let approving: Promise<void> | null = null;
  const run = await cli(['login', '--server', server.url, '--tenant', 'contoso.test', ...extra], {
    xdg,
    onStdout: (out) => {
      const m = /open the page (\S+) and enter the code (\S+) to authenticate/.exec(out);
      if (m && !approving) approving = approveDevice(m[1]!, m[2]!, username);
    },
  });
  assert.ok(approving, `no device code message in: ${run.stdout} ${run.stderr}`);
  await approving;
  return run;
}
