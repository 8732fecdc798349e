/**
 * Captures ALL logs of a full end-to-end run — the stdout and stderr of a real `portcullis serve`
 * process at the most verbose level (trace), and the output of every CLI run — and fails if any
 * issued credential or secret appears in them (I5, docs/revocation-model.md; docs/threat-model.md: never logged). The run covers the
 * sign-in form (with wrong passwords first), code exchange, refresh, client credentials (post and
 * Basic), the password grant, the device-code flow, Graph calls, revokes, a lockout and the CLI.
 * A self-check runs the same scanner over a server that deliberately logs response bodies and
 * requires it to find the tokens, so a scanner that finds nothing cannot pass unnoticed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_CLIENT_ID } from '../../src/cli/commands/login.js';
import { cli, tempConfigHome } from '../cli/cli-helpers.js';
import { Browser } from './helpers/browser.js';
import { SecretSet } from './helpers/secret-scan.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MAIN = join(ROOT, 'src/cli/main.ts');
const TENANT_ID = '5d2f8e61-3a4b-4c7d-9e0f-1a2b3c4d5e6f';
const DOMAIN = 'logs.test';
const WEB_APP = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const REDIRECT = 'http://localhost/callback';
const STEP_TIMEOUT = 15_000;

const pw = () => `Pw-${randomBytes(12).toString('base64url')}`;
const PASSWORDS = { admin: pw(), alice: pw(), bob: pw() };
const WEB_SECRET = `ws-${randomBytes(24).toString('base64url')}`;

function seed() {
  return {
    tenant: { id: TENANT_ID, domain: DOMAIN, displayName: 'Log capture' },
    users: [
      { userPrincipalName: `admin@${DOMAIN}`, displayName: 'Admin', password: PASSWORDS.admin, roles: ['Global Administrator'] },
      { userPrincipalName: `alice@${DOMAIN}`, displayName: 'Alice', password: PASSWORDS.alice },
      { userPrincipalName: `bob@${DOMAIN}`, displayName: 'Bob', password: PASSWORDS.bob },
    ],
    applications: [
      {
        appId: DEFAULT_CLIENT_ID,
        displayName: 'Portcullis CLI',
        publicClient: { redirectUris: ['http://localhost', REDIRECT] },
        allowPublicClientFlows: true,
        delegatedPermissions: ['User.Read', 'User.ReadWrite.All', 'User.RevokeSessions.All', 'AuditLog.Read.All'],
      },
      {
        appId: WEB_APP,
        displayName: 'Web App',
        web: { redirectUris: ['https://app.logs.test/callback'] },
        passwordCredentials: [{ secretText: WEB_SECRET }],
        delegatedPermissions: ['User.Read'],
        applicationPermissions: ['User.ReadWrite.All', 'User.RevokeSessions.All', 'AuditLog.Read.All'],
      },
    ],
  };
}

/** A child process whose stdout and stderr are kept, every byte. */
class Captured {
  out = '';
  err = '';
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
  }
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${this.out} ${this.err}`)), timeoutMs);
      const check = () => {
        const m = pattern.exec(this.out);
        if (m) {
          clearTimeout(timer);
          this.child.stdout!.off('data', check);
          resolve(m);
        }
      };
      this.child.stdout!.on('data', check);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code}) before ${pattern}: ${this.out} ${this.err}`));
      });
      check();
    });
  }
  /** SIGTERM, then wait (bounded) for the exit so every buffered line is in. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        setImmediate(resolve);
      });
      this.child.kill('SIGTERM');
    });
  }
}

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** The whole flow against `base`; every credential it is given or issued goes into `secrets`. */
async function fullRun(base: string, secrets: SecretSet, cliOutput: string[]): Promise<void> {
  const tenantUrl = `${base}/${TENANT_ID}`;
  const post = async (path: string, form: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(STEP_TIMEOUT),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const token = (form: Record<string, string>, headers?: Record<string, string>) => post(`/${TENANT_ID}/oauth2/v2.0/token`, form, headers);
  const graph = async (method: string, path: string, accessToken: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(STEP_TIMEOUT),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const addTokens = (label: string, body: Record<string, string>) => {
    secrets.add(`${label} access token`, body.access_token);
    if (body.refresh_token) secrets.add(`${label} refresh token`, body.refresh_token);
    if (body.id_token) secrets.add(`${label} ID token`, body.id_token);
  };
  for (const [user, password] of Object.entries(PASSWORDS)) secrets.add(`password of ${user}`, password);
  secrets.addBasic('client secret', WEB_APP, WEB_SECRET);

  // 1. The sign-in form: two wrong passwords, then the right one; the code and the cookies.
  const browser = new Browser();
  const { verifier, challenge } = pkce();
  const authorize = new URL(`${tenantUrl}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries({
    client_id: DEFAULT_CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid profile offline_access User.Read User.RevokeSessions.All',
    state: 'st',
    nonce: 'nn',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    authorize.searchParams.set(k, v);
  for (let i = 0; i < 2; i++) {
    const wrong = `Wrong-${randomBytes(9).toString('base64url')}`;
    secrets.add('wrong password', wrong);
    await assert.rejects(new Browser().signIn(authorize, `alice@${DOMAIN}`, wrong), /answered 200/);
  }
  const signedIn = await browser.signIn(authorize, `alice@${DOMAIN}`, PASSWORDS.alice);
  const code = signedIn.location.searchParams.get('code')!;
  secrets.add('authorization code', code);
  secrets.add('SSO session cookie', browser.jar.get('portcullis_sso'));
  secrets.add('CSRF cookie', browser.jar.get('portcullis_csrf'));
  secrets.add('PKCE verifier', verifier);

  // 2. Code exchange, 3. refresh.
  const exchanged = await token({
    grant_type: 'authorization_code',
    client_id: DEFAULT_CLIENT_ID,
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  addTokens('code', exchanged.body);
  const refreshed = await token({
    grant_type: 'refresh_token',
    client_id: DEFAULT_CLIENT_ID,
    refresh_token: exchanged.body.refresh_token!,
  });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  addTokens('refresh', refreshed.body);

  // 4. Client credentials: client_secret_post, client_secret_basic, and a wrong secret.
  const app = await token({
    grant_type: 'client_credentials',
    client_id: WEB_APP,
    client_secret: WEB_SECRET,
    scope: 'https://graph.microsoft.com/.default',
  });
  assert.equal(app.status, 200, JSON.stringify(app.body));
  addTokens('client credentials', app.body);
  const basic = Buffer.from(`${WEB_APP}:${encodeURIComponent(WEB_SECRET)}`).toString('base64');
  const appBasic = await token(
    { grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' },
    { authorization: `Basic ${basic}` },
  );
  assert.equal(appBasic.status, 200, JSON.stringify(appBasic.body));
  const wrongSecret = `bad-secret-${randomBytes(12).toString('base64url')}`;
  secrets.add('wrong client secret', wrongSecret);
  assert.equal(
    (
      await token({
        grant_type: 'client_credentials',
        client_id: WEB_APP,
        client_secret: wrongSecret,
        scope: 'https://graph.microsoft.com/.default',
      })
    ).status,
    401,
  );

  // 5. The password grant (ROPC), right and wrong.
  const ropc = await token({
    grant_type: 'password',
    client_id: DEFAULT_CLIENT_ID,
    scope: 'openid offline_access User.Read',
    username: `admin@${DOMAIN}`,
    password: PASSWORDS.admin,
  });
  assert.equal(ropc.status, 200, JSON.stringify(ropc.body));
  addTokens('password grant', ropc.body);

  // 6. A lockout: ten wrong passwords for bob, then his right one is refused.
  for (let i = 0; i < 10; i++) {
    const wrong = `Guess-${randomBytes(9).toString('base64url')}`;
    secrets.add('wrong password', wrong);
    assert.deepEqual(
      (
        await token({
          grant_type: 'password',
          client_id: DEFAULT_CLIENT_ID,
          scope: 'User.Read',
          username: `bob@${DOMAIN}`,
          password: wrong,
        })
      ).body.error_codes,
      [50126],
    );
  }
  assert.deepEqual(
    (
      await token({
        grant_type: 'password',
        client_id: DEFAULT_CLIENT_ID,
        scope: 'User.Read',
        username: `bob@${DOMAIN}`,
        password: PASSWORDS.bob,
      })
    ).body.error_codes,
    [50053],
  );

  // 7. The device-code flow through /devicelogin.
  const device = await post(`/${TENANT_ID}/oauth2/v2.0/devicecode`, {
    client_id: DEFAULT_CLIENT_ID,
    scope: 'openid offline_access User.Read',
  });
  assert.equal(device.status, 200, JSON.stringify(device.body));
  secrets.add('device code', device.body.device_code);
  secrets.add('user code', device.body.user_code);
  const pending = await token({
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    client_id: DEFAULT_CLIENT_ID,
    device_code: device.body.device_code!,
  });
  assert.equal(pending.body.error, 'authorization_pending');
  const person = new Browser();
  const page = await (await person.request(`${base}/devicelogin`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  assert.equal(
    (await person.request(`${base}/devicelogin`, { method: 'POST', form: { csrf, user_code: device.body.user_code! } })).status,
    200,
  );
  const deviceSignedIn = await person.request(`${base}/devicelogin/approve`, {
    method: 'POST',
    form: { csrf, user_code: device.body.user_code!, action: 'sign-in', username: `alice@${DOMAIN}`, password: PASSWORDS.alice },
  });
  // Signed in; the device is approved only on the confirmation page.
  const confirmCsrf = /name="csrf" value="([^"]+)"/.exec(await deviceSignedIn.text())![1]!;
  const approved = await person.request(`${base}/devicelogin/approve`, {
    method: 'POST',
    form: { csrf: confirmCsrf, user_code: device.body.user_code!, action: 'confirm' },
  });
  assert.match(await approved.text(), /You have signed in/);
  secrets.add('device SSO session cookie', person.jar.get('portcullis_sso'));
  secrets.add('device CSRF cookie', person.jar.get('portcullis_csrf'));
  let polled: Awaited<ReturnType<typeof token>> | null = null;
  // serve's polling interval is Entra's 5 s (RFC 8628 §3.5: slow_down when sooner); at most 4 polls.
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 5_500));
    polled = await token({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: DEFAULT_CLIENT_ID,
      device_code: device.body.device_code!,
    });
    if (polled.status === 200 || polled.body.error !== 'slow_down') break;
  }
  assert.equal(polled?.status, 200, JSON.stringify(polled?.body));
  addTokens('device code', polled!.body);

  // 8. Graph calls, then revokes (app-only on bob, alice on herself), and the refused refresh.
  assert.equal(await graph('GET', '/v1.0/me', refreshed.body.access_token!), 200);
  assert.equal(await graph('GET', '/v1.0/users?$top=5', app.body.access_token!), 200);
  assert.equal(await graph('GET', `/v1.0/users/alice@${DOMAIN}`, app.body.access_token!), 200);
  const users = await fetch(`${base}/v1.0/users?$filter=${encodeURIComponent(`userPrincipalName eq 'bob@${DOMAIN}'`)}`, {
    headers: { authorization: `Bearer ${app.body.access_token}` },
    signal: AbortSignal.timeout(STEP_TIMEOUT),
  });
  const bobId = ((await users.json()) as { value: { id: string }[] }).value[0]!.id;
  assert.equal(await graph('POST', `/v1.0/users/${bobId}/revokeSignInSessions`, app.body.access_token!), 200);
  assert.equal(await graph('POST', '/v1.0/me/revokeSignInSessions', refreshed.body.access_token!), 200);
  assert.equal(await graph('GET', '/v1.0/me', refreshed.body.access_token!), 401, 'the revoked access token is refused (I6)');
  const dead = await token({ grant_type: 'refresh_token', client_id: DEFAULT_CLIENT_ID, refresh_token: refreshed.body.refresh_token! });
  assert.deepEqual(dead.body.error_codes, [50173]);
  const replay = await token({
    grant_type: 'authorization_code',
    client_id: DEFAULT_CLIENT_ID,
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  assert.equal(replay.status, 400, 'a replayed code is refused (and its refusal logged)');
  // Logout with the ID token as hint, in the query string.
  const logout = await browser.request(
    `${tenantUrl}/oauth2/v2.0/logout?id_token_hint=${exchanged.body.id_token}&post_logout_redirect_uri=${encodeURIComponent(REDIRECT)}`,
  );
  assert.equal(logout.status, 302);

  // 9. The CLI: app-only sign-in (the secret from the environment), directory reads, a revoke.
  const xdg = tempConfigHome();
  try {
    const env = { PORTCULLIS_CLIENT_SECRET: WEB_SECRET };
    const runs: [string[], number][] = [
      [['login', '--server', base, '--tenant', TENANT_ID, '--client-id', WEB_APP], 0],
      [['whoami', '--output', 'json'], 0],
      [['users', 'list'], 0],
      [['users', 'get', `alice@${DOMAIN}`], 0],
      [['revoke', '--user-id', `alice@${DOMAIN}`], 0],
      [['audit', 'list', '--filter', 'Smart lockout', '--top', '5'], 0],
      [['logout'], 0],
    ];
    for (const [args, expected] of runs) {
      const run = await cli(args, { xdg, env });
      cliOutput.push(run.stdout, run.stderr);
      assert.equal(run.code, expected, `portcullis ${args.join(' ')}: ${run.stderr}`);
      if (args[0] === 'login') {
        // The tokens the CLI was issued, from its session file (the default profile's; the file may hold them, output may not).
        const session = JSON.parse(readFileSync(join(xdg, 'portcullis', 'profiles', 'default', 'session.json'), 'utf8')) as Record<
          string,
          unknown
        >;
        const tokens = Object.entries(session).filter(([k, v]) => /^(access|refresh|id)_?token$/i.test(k) && typeof v === 'string');
        assert.ok(tokens.length >= 1, `no token in the CLI session: ${Object.keys(session).join(', ')}`);
        for (const [k, v] of tokens) secrets.add(`CLI ${k}`, v as string);
      }
    }
    const bad = await cli(['login', '--server', base, '--tenant', TENANT_ID, '--client-id', WEB_APP], {
      xdg,
      env: { PORTCULLIS_CLIENT_SECRET: wrongSecret },
    });
    cliOutput.push(bad.stdout, bad.stderr);
    assert.notEqual(bad.code, 0, 'a wrong secret fails the CLI login');
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
}

describe('log capture: no credential in any log of a full e2e run', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-logs-'));
    writeFileSync(join(dir, 'seed.json'), JSON.stringify(seed()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('serve --log-level trace and the CLI print none of the issued tokens, codes, passwords or secrets', {
    timeout: 300_000,
  }, async () => {
    const server = new Captured(
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          MAIN,
          'serve',
          '--port',
          '0',
          '--data-dir',
          join(dir, 'data'),
          '--seed',
          join(dir, 'seed.json'),
          '--log-level',
          'trace',
        ],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', HOME: dir },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    const secrets = new SecretSet();
    const cliOutput: string[] = [];
    try {
      const ready = await server.waitFor(/issuer:\s+(http:\/\/localhost:(\d+))\//);
      await fullRun(`http://127.0.0.1:${ready[2]}`, secrets, cliOutput);
    } finally {
      await server.stop();
    }
    const serverLogs = server.out + server.err;
    const logs = serverLogs + cliOutput.join('');
    // The run really logged at trace: every request's incoming and completed lines are there.
    const requestLines = serverLogs.split('\n').filter((l) => l.includes('"incoming request"')).length;
    assert.ok(requestLines >= 40, `expected trace request logs, found ${requestLines}`);
    const findings = secrets.scan(logs);
    console.log(
      `log-capture: scanned ${Buffer.byteLength(serverLogs)} bytes of server logs (${serverLogs.split('\n').length - 1} lines, ${requestLines} requests) ` +
        `and ${Buffer.byteLength(cliOutput.join(''))} bytes of CLI output; ${secrets.secretCount} secrets, ${secrets.needleCount} search strings; ` +
        `kinds: ${JSON.stringify(secrets.kinds())}; findings: ${findings.length}`,
    );
    assert.deepEqual(findings, [], 'credentials found in the logs');
  });

  test('self-check: the same scanner finds tokens a server deliberately logs', { timeout: 120_000 }, async () => {
    const leaky = new Captured(
      spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/leaky-serve.ts'), join(dir, 'seed.json'), join(dir, 'leaky')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const secrets = new SecretSet();
    try {
      const port = (await leaky.waitFor(/LISTENING (\d+)/))[1];
      const res = await fetch(`http://127.0.0.1:${port}/${TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: DEFAULT_CLIENT_ID,
          scope: 'openid offline_access User.Read',
          username: `alice@${DOMAIN}`,
          password: PASSWORDS.alice,
        }),
        signal: AbortSignal.timeout(STEP_TIMEOUT),
      });
      const body = (await res.json()) as Record<string, string>;
      assert.equal(res.status, 200, JSON.stringify(body));
      secrets.add('access token', body.access_token);
      secrets.add('refresh token', body.refresh_token);
      secrets.add('ID token', body.id_token);
      secrets.add('password of alice', PASSWORDS.alice);
    } finally {
      await leaky.stop();
    }
    const findings = secrets.scan(leaky.out + leaky.err);
    const caught = new Set(findings.map((f) => f.label.replace(/#.*$/, '')));
    assert.deepEqual([...caught].sort(), ['ID token', 'access token', 'refresh token'], 'each deliberately logged token is caught');
    assert.ok(
      findings.some((f) => f.form === 'jwt signature'),
      'JWT signature segments are searched on their own',
    );

    // And fragments: a log line holding only part of a refresh token or a signature is caught.
    const probe = new SecretSet();
    const refresh = randomBytes(32).toString('base64url');
    const jwt = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.${randomBytes(256).toString('base64url')}`;
    probe.add('refresh token', refresh);
    probe.add('access token', jwt);
    assert.equal(probe.scan(`{"msg":"x","t":"${refresh.slice(5, 29)}"}`).length > 0, true, '24 characters from inside a refresh token');
    assert.equal(probe.scan(`sig=${jwt.split('.')[2]!.slice(100, 124)}`).length > 0, true, '24 characters from inside a signature');
    assert.deepEqual(
      probe.scan(`${jwt.split('.').slice(0, 2).join('.')} ${refresh.slice(0, 15)}`),
      [],
      'no false alarm on a JWT header and payload or a short fragment',
    );
  });
});
