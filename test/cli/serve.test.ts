import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Agent } from 'undici';

/**
 * The real `portcullis` command in child processes: real flags, real files, real sockets.
 * Every wait is bounded and every child is killed in `after`, whatever the test outcome.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 15_000;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
  dirs.push(d);
  return d;
}

/** The environment without any PORTCULLIS_* a developer may have exported. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PORTCULLIS_') && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  return { ...env, ...extra };
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Ready {
  issuer: string;
  discovery: string;
  graph: string;
  tenantId: string;
  myAccount: string;
  console: string;
}

/** Waits until stdout matches (or the process exits first). */
async function waitForOutput(r: Run, pattern: RegExp, what: string): Promise<void> {
  const seen = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (pattern.test(r.stdout())) resolve();
    };
    r.child.stdout?.on('data', check);
    check();
    void r.exited.then((code) => reject(new Error(`exited with ${code} before ${what}; stderr: ${r.stderr()}`)));
  });
  await within(seen, READY_TIMEOUT_MS, `${what} (stdout so far: ${r.stdout()})`);
}

/** Waits for the ready banner and parses it. */
async function waitReady(r: Run): Promise<Ready> {
  await waitForOutput(r, /^Portcullis ready\n(?:.*\n)*? {2}tenant: .*\n/m, "'Portcullis ready'");
  const field = (name: string): string => {
    const m = new RegExp(`^ {2}${name}: +(\\S+)`, 'm').exec(r.stdout());
    assert.ok(m?.[1], `no '${name}:' line in ${r.stdout()}`);
    return m[1];
  };
  return {
    issuer: field('issuer'),
    discovery: field('discovery'),
    graph: field('graph'),
    tenantId: field('tenant'),
    myAccount: field('myaccount'),
    console: field('console'),
  };
}

async function stop(r: Run): Promise<number | null> {
  r.child.kill('SIGTERM');
  return within(r.exited, EXIT_TIMEOUT_MS, 'exit after SIGTERM');
}

/** A failing invocation: exit code and exactly one `portcullis:` line on stderr, no stack trace. */
async function expectConfigFailure(args: string[], env: Record<string, string>, code: number, pattern: RegExp): Promise<void> {
  const r = run(args, env);
  assert.equal(await within(r.exited, EXIT_TIMEOUT_MS, `exit of ${args.join(' ')}`), code, `stderr: ${r.stderr()}`);
  const lines = r
    .stderr()
    .split('\n')
    .filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one stderr line, got: ${r.stderr()}`);
  const line = lines[0] ?? '';
  assert.match(line, /^portcullis: /);
  assert.match(line, pattern);
  assert.doesNotMatch(r.stderr(), /^\s+at /m);
}

describe('portcullis serve', () => {
  const dataDir = tempDir();
  let firstTenantId = '';

  it('first start creates the demo tenant, prints its password once, serves and stops on SIGTERM', async () => {
    const r = run(['serve', '--port', '0', '--data-dir', dataDir]);
    const ready = await waitReady(r);
    assert.match(ready.issuer, /^http:\/\/localhost:\d+\/[0-9a-f-]{36}\/v2\.0$/);
    assert.equal(ready.discovery, `${ready.issuer}/.well-known/openid-configuration`);
    assert.equal(ready.issuer, `${new URL(ready.issuer).origin}/${ready.tenantId}/v2.0`);
    firstTenantId = ready.tenantId;
    assert.equal(ready.myAccount, `${new URL(ready.issuer).origin}/myaccount`);
    assert.equal(ready.console, `${new URL(ready.issuer).origin}/admin`);
    assert.match(r.stdout(), /^ {2}tenant: +[0-9a-f-]{36} \(demo\.portcullis\.localhost\)$/m);
    assert.match(r.stdout(), /^ {2}admin: +admin@demo\.portcullis\.localhost$/m);
    assert.match(r.stdout(), /^ {2}password: +\S{20}$/m);

    const res = await within(fetch(ready.discovery), 10_000, 'discovery');
    const body = await res.text();

    // Stop before judging the response, so a wrong answer still exercises the shutdown path.
    assert.equal(await stop(r), 0);
    assert.match(r.stdout(), /^Portcullis stopped$/m);
    assert.equal(r.stderr(), '');

    assert.equal(res.status, 200, body);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal((JSON.parse(body) as { issuer?: string }).issuer, ready.issuer);
  });

  it('a second start on the same data directory keeps the tenant and prints no password', async () => {
    const r = run(['serve', '--port', '0', '--data-dir', dataDir]);
    const ready = await waitReady(r);
    assert.equal(ready.tenantId, firstTenantId);
    assert.doesNotMatch(r.stdout(), /password/i);
    assert.equal(await stop(r), 0);
  });

  it('--tls-self-signed serves https with one certificate per machine, reused by every data directory', async () => {
    const dir = tempDir();
    // The machine's config dir is the test's own: never the real home.
    const xdg = tempDir();
    const machine = { XDG_CONFIG_HOME: xdg };
    const r = run(['serve', '--port', '0', '--data-dir', dir, '--tls-self-signed'], machine);
    const ready = await waitReady(r);
    assert.match(ready.issuer, /^https:\/\/localhost:\d+\//);
    const certFile = join(xdg, 'portcullis', 'tls', 'localhost', 'cert.pem');
    const certPem = readFileSync(certFile, 'utf8');
    assert.match(certPem, /-----BEGIN CERTIFICATE-----/);
    assert.equal(existsSync(join(dir, 'tls')), false, 'nothing in the data directory');
    await waitForOutput(r, /^ {2}cli: .*\n/m, "the 'cli:' line");
    assert.match(r.stdout(), new RegExp(`^ {2}tls sha256: ${new X509Certificate(certPem).fingerprint256} \\(one certificate`, 'm'));
    assert.match(
      r.stdout(),
      new RegExp(`^ {2}cli: {8}portcullis login --server https://localhost:\\d+ --ca-file ${certFile.replace(/[.]/g, '\\.')}$`, 'm'),
    );
    // Trust exactly this certificate: a completed request proves the TLS handshake and the SANs.
    const dispatcher = new Agent({ connect: { ca: certPem } });
    let status: number;
    try {
      const res = await within(fetch(ready.discovery, { dispatcher } as RequestInit), 10_000, 'https discovery');
      status = res.status;
      await res.arrayBuffer();
    } finally {
      await dispatcher.close();
    }
    assert.equal(await stop(r), 0);

    // Another data directory on the same machine: the same certificate, so clients that trust it keep working.
    const again = run(['serve', '--port', '0', '--data-dir', tempDir()], { ...machine, PORTCULLIS_TLS_SELF_SIGNED: 'true' });
    await waitReady(again);
    await waitForOutput(again, /^ {2}tls cert: .*\n/m, "the 'tls cert:' line");
    assert.equal(readFileSync(certFile, 'utf8'), certPem);
    assert.doesNotMatch(again.stdout(), /\(new\)/);
    assert.equal(await stop(again), 0);
    assert.equal(status, 200);
  });

  it('applies a seed file from the environment; flags win over environment variables', async () => {
    const dir = tempDir();
    const seedFile = join(ROOT, 'examples', 'seed.json');
    const seed = JSON.parse(readFileSync(seedFile, 'utf8')) as { tenant: { id: string; domain: string } };
    // PORTCULLIS_PORT is invalid on purpose: --port must take precedence and it must never be read.
    const r = run(['serve', '--port', '0'], { PORTCULLIS_PORT: 'not-a-port', PORTCULLIS_DATA_DIR: dir, PORTCULLIS_SEED: seedFile });
    const ready = await waitReady(r);
    assert.equal(ready.tenantId, seed.tenant.id);
    assert.match(r.stdout(), new RegExp(`\\(${seed.tenant.domain.replace(/\./g, '\\.')}\\)`));
    assert.match(r.stdout(), /^Seed '.*': \d+ created, 0 updated, 0 unchanged, 0 skipped, 0 adopted \(\d+ argon2 computations\)$/m);
    assert.doesNotMatch(r.stdout(), /password/i);
    assert.equal(await stop(r), 0);
  });

  it('refuses a port that is already in use with exit code 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expectConfigFailure(['serve', '--port', String(port), '--data-dir', tempDir()], {}, 1, /already in use/);
    } finally {
      blocker.close();
    }
  });
});

describe('portcullis configuration errors', () => {
  it('--port abc: one line, exit 2', () =>
    expectConfigFailure(
      ['serve', '--port', 'abc', '--data-dir', tempDir()],
      {},
      2,
      /--port: port must be an integer from 0 to 65535, got 'abc'/,
    ));
  it('PORTCULLIS_PORT=99999: names the variable', () =>
    expectConfigFailure(['serve', '--data-dir', tempDir()], { PORTCULLIS_PORT: '99999' }, 2, /PORTCULLIS_PORT/));
  it('unknown flag', () => expectConfigFailure(['serve', '--prot', '5050'], {}, 2, /Unknown option '--prot'/));
  it('certificate without key', () => expectConfigFailure(['serve', '--tls-cert', 'cert.pem'], {}, 2, /--tls-cert needs --tls-key too/));
  it('missing certificate file', () =>
    expectConfigFailure(
      ['serve', '--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem', '--data-dir', tempDir()],
      {},
      2,
      /cannot read TLS certificate '\/nonexistent\/c\.pem': no such file/,
    ));
  it('invalid public URL', () =>
    expectConfigFailure(['serve', '--public-url', 'not a url'], {}, 2, /--public-url: 'not a url' is not a valid absolute URL/));
  it('bad log level', () => expectConfigFailure(['serve', '--log-level', 'loud'], {}, 2, /log level must be one of/));

  it('seed file with invalid JSON: one line, exit 2', async () => {
    const dir = tempDir();
    const file = join(dir, 'seed.json');
    writeFileSync(file, '{ "tenant": ');
    await expectConfigFailure(['serve', '--seed', file, '--data-dir', dir], {}, 2, /seed file '.*seed\.json' is not valid JSON/);
  });

  it('seed file that fails validation names the path', async () => {
    const dir = tempDir();
    const file = join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify({ tenant: { id: 'x', domain: 'contoso.test', displayName: 'C' } }));
    await expectConfigFailure(['serve', '--seed', file, '--data-dir', dir], {}, 2, /seed file '.*': tenant\.id: must be a GUID/);
  });

  it('missing seed file', () =>
    expectConfigFailure(
      ['serve', '--seed', '/nonexistent/seed.json'],
      {},
      2,
      /cannot read seed file '\/nonexistent\/seed\.json': no such file/,
    ));
  it('unknown command', () => expectConfigFailure(['serv'], {}, 2, /unknown command 'serv'/));
  it('a non-PostgreSQL database URL', () =>
    expectConfigFailure(
      ['serve', '--database-url', 'mysql://db/x'],
      {},
      2,
      /--database-url: only postgres:\/\/ and postgresql:\/\/ URLs are supported/,
    ));
  it('a pool size without a database URL', () =>
    expectConfigFailure(['serve'], { PORTCULLIS_DATABASE_POOL_MAX: '5' }, 2, /PORTCULLIS_DATABASE_POOL_MAX needs --database-url/));
  it('an unreachable PostgreSQL: one line without the password, exit 1', async () => {
    const r = run(['serve', '--port', '0', '--data-dir', tempDir(), '--database-url', 'postgres://u:s3cret@127.0.0.1:1/x']);
    assert.equal(await within(r.exited, EXIT_TIMEOUT_MS, 'exit'), 1, r.stderr());
    assert.match(r.stderr(), /^portcullis: cannot open database postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x: database unavailable/);
    assert.doesNotMatch(r.stderr(), /s3cret/);
  });

  it('--version and --help', async () => {
    const v = run(['--version']);
    assert.equal(await within(v.exited, EXIT_TIMEOUT_MS, '--version'), 0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(v.stdout().trim(), pkg.version);
    const h = run(['serve', '--help']);
    assert.equal(await within(h.exited, EXIT_TIMEOUT_MS, 'serve --help'), 0);
    for (const s of ['--port', 'PORTCULLIS_PORT', '--tls-self-signed', '--public-url', '--seed']) assert.ok(h.stdout().includes(s), s);
  });
});
