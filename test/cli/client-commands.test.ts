/**
 * The real `portcullis` CLI process against a real server on 127.0.0.1: device-code login,
 * revoking one user, oneself, --what-if, pipeline input in three formats, app-only login, the
 * error classes with their exit codes, and the CLI's own revoked session.
 */
import assert from 'node:assert/strict';
import { X509Certificate, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT, SIGNED_OUT_SENTENCE } from '../../src/cli/cli-error.js';
import { APP, TENANT_ID, WEB_SECRET } from '../helpers/harness.js';
import { reload } from '../graph/graph-helpers.js';
import { startHttpsServer } from '../e2e/helpers/https-server.js';
import { freePort } from '../helpers/processes.js';
import { cli, deviceLogin, startServer, tempConfigHome, type Server } from './cli-helpers.js';

const oneLine = (s: string) => assert.equal(s.trim().split('\n').length, 1, `expected one line on stderr: ${s}`);
const auditCount = async (s: Server) => (await s.store.audit.list({ tenantId: TENANT_ID, limit: 100_000 })).length;

describe('portcullis CLI against a real server', () => {
  let server: Server;
  let admin: string; // XDG_CONFIG_HOME of a globaladmin device-code session
  before(async () => {
    server = await startServer();
    admin = tempConfigHome();
  });
  after(async () => {
    await server.close();
    rmSync(admin, { recursive: true, force: true });
  });

  test('login by device code: prints the message, polls, caches the session in a 0600 file', { timeout: 60_000 }, async () => {
    const run = await deviceLogin(server, admin, 'globaladmin@contoso.test', [
      '--scopes',
      'User.RevokeSessions.All,User.ReadWrite.All,AuditLog.Read.All',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /To sign in, use a web browser to open the page http:\/\/127\.0\.0\.1:\d+\/devicelogin and enter the code/);
    assert.match(run.stdout, new RegExp(`Signed in as globaladmin@contoso.test in tenant ${TENANT_ID}`));
    const file = join(admin, 'portcullis', 'profiles', 'default', 'session.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(admin, 'portcullis')).mode & 0o777, 0o700);
    assert.equal(statSync(join(admin, 'portcullis', 'profiles', 'default')).mode & 0o777, 0o700);
    const who = await cli(['whoami', '--output', 'json'], { xdg: admin });
    assert.equal(who.code, 0, who.stderr);
    const me = JSON.parse(who.stdout);
    assert.equal(me.account, 'globaladmin@contoso.test');
    assert.equal(me.kind, 'delegated');
    assert.match(me.permissions, /User\.RevokeSessions\.All/);
  });

  test('revoke one user prints True, bumps the epoch, writes --response-headers', async () => {
    const bob = await reload(server, server.users.bob!);
    const headersFile = join(admin, 'headers.json');
    const run = await cli(
      ['revoke', '--user-id', 'bob@contoso.test', '--response-headers', headersFile, '--header', 'client-request-id:cli-test-1'],
      { xdg: admin },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'True\n');
    assert.equal((await reload(server, bob)).revocationEpoch, bob.revocationEpoch + 1);
    const headers = JSON.parse(readFileSync(headersFile, 'utf8'));
    assert.equal(headers['client-request-id'], 'cli-test-1');
    assert.match(headers['request-id'], /^[0-9a-f-]{36}$/);
  });

  test('revoke --receipt prints what the revoke cut (text and JSON), keyed by its client-request-id', async () => {
    const carol = await reload(server, server.users.alice!);
    // One live grant with a refresh token, made directly in the server's store.
    const grantId = randomUUID();
    await server.store.grants.create(
      {
        id: grantId,
        tenantId: TENANT_ID,
        userId: carol.id,
        clientId: APP.publicClient,
        sessionId: null,
        scopes: ['openid'],
        epoch: carol.revocationEpoch,
        authTime: Date.now(),
        createdAt: Date.now(),
        revokedAt: null,
      },
      {
        hash: 'cli-receipt-token-digest-0123456789',
        grantId,
        tenantId: TENANT_ID,
        userId: carol.id,
        clientId: APP.publicClient,
        scopes: ['openid'],
        epoch: carol.revocationEpoch,
        issuedAt: Date.now(),
        expiresAt: Date.now() + 3600_000,
        consumedAt: null,
      },
    );
    const json = await cli(
      [
        'revoke',
        '--user-id',
        carol.userPrincipalName,
        '--receipt',
        '--receipt-timeout',
        '5',
        '--output',
        'json',
        '--header',
        'client-request-id:cli-receipt-1',
      ],
      { xdg: admin },
    );
    assert.equal(json.code, 0, json.stderr);
    const [record] = JSON.parse(json.stdout);
    assert.equal(record.value, true);
    assert.equal(record.receipt.correlationId, 'cli-receipt-1');
    assert.equal(record.receipt.revocationType, 'revokeSignInSessions');
    assert.equal(record.receipt.complete, true);
    assert.deepEqual(record.receipt.applications, [
      { appId: APP.publicClient, grantIds: [grantId], refreshTokenIds: ['cli-receipt-toke'], sessionIds: [] },
    ]);
    const text = await cli(['revoke', '--user-id', carol.userPrincipalName, '--receipt'], { xdg: admin });
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^True\nReceipt [\w-]+: revokeSignInSessions of alice@contoso\.test at .+\nCut: 0 session\(s\), 0 grant\(s\), 0 refresh token\(s\)\nNotifications: 0 delivered, 0 failed, 0 pending\n$/,
    );
    const usage = await cli(['revoke', '--me', '--receipt'], { xdg: admin });
    assert.equal(usage.code, EXIT.USAGE);
  });

  test('--what-if lists the targets and changes nothing (audit log unchanged)', async () => {
    const before = await auditCount(server);
    const alice = await reload(server, server.users.alice!);
    const run = await cli(['revoke', '--user-id', 'alice@contoso.test', '--object-id', server.users.bob!.id, '--what-if'], { xdg: admin });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /What if: Performing the operation "revokeSignInSessions" on target "alice@contoso.test"\./);
    assert.match(run.stdout, new RegExp(`on target "${server.users.bob!.id}"`));
    assert.equal(await auditCount(server), before);
    assert.equal((await reload(server, alice)).revocationEpoch, alice.revocationEpoch);
  });

  test('pipeline input: plain lines, JSON lines and a JSON array; bulk needs --yes off a terminal', async () => {
    const { alice, bob, useradmin, helpdesk, authadmin, passwordadmin } = server.users;
    const inputs: [string, string[]][] = [
      [`${alice!.userPrincipalName}\n${bob!.id}\n`, [alice!.id, bob!.id]],
      [
        `{"id":"${useradmin!.id}","displayName":"x"}\n{"userPrincipalName":"${helpdesk!.userPrincipalName}"}\n`,
        [useradmin!.id, helpdesk!.id],
      ],
      [
        JSON.stringify([{ id: authadmin!.id }, { userPrincipalName: passwordadmin!.userPrincipalName }]),
        [authadmin!.id, passwordadmin!.id],
      ],
    ];
    const refused = await cli(['revoke'], { xdg: admin, input: inputs[0]![0] });
    assert.equal(refused.code, EXIT.USAGE);
    assert.match(refused.stderr, /refusing to act on 2 users without --yes when stdin is not a terminal/);
    for (const [input, ids] of inputs) {
      const before = await Promise.all(ids.map((id) => reload(server, id)));
      const run = await cli(['revoke', '--user-id', '-', '--yes', '--output', 'jsonl'], { xdg: admin, input });
      assert.equal(run.code, 0, run.stderr);
      const results = run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(results.length, 2);
      assert.ok(
        results.every((r) => r.result === 'done' && r.status === 200),
        run.stdout,
      );
      for (const u of before) assert.equal((await reload(server, u.id)).revocationEpoch, u.revocationEpoch + 1);
      assert.match(run.stderr, /Summary: 2 done, 0 failed, 0 not attempted of 2 users/);
    }
    // `users list --output jsonl | portcullis revoke` — the cmdlets' ByPropertyName.
    const listed = await cli(['users', 'list', '--filter', `userPrincipalName eq '${alice!.userPrincipalName}'`, '--output', 'jsonl'], {
      xdg: admin,
    });
    assert.equal(listed.code, 0, listed.stderr);
    const piped = await cli(['revoke'], { xdg: admin, input: listed.stdout });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'True\n');
  });

  test('failure classes: unknown user (5), not signed in (3), unreachable (6), usage (2), partial bulk (8)', async () => {
    const unknown = await cli(['revoke', '--user-id', 'ghost@contoso.test'], { xdg: admin });
    assert.equal(unknown.code, EXIT.NOT_FOUND);
    assert.match(unknown.stderr, /^portcullis: user 'ghost@contoso.test' was not found \(request-id [0-9a-f-]{36}\)\n$/);
    const empty = tempConfigHome();
    const signedOut = await cli(['revoke', '--user-id', 'bob@contoso.test'], { xdg: empty });
    assert.equal(signedOut.code, EXIT.SIGNED_OUT);
    assert.equal(signedOut.stderr, "portcullis: not signed in; run 'portcullis login --server URL' first\n");
    const closed = await freePort(); // free a moment ago: nothing listens there
    const unreachable = await cli(['login', '--server', `http://127.0.0.1:${closed}`], { xdg: empty });
    assert.equal(unreachable.code, EXIT.UNREACHABLE);
    assert.match(unreachable.stderr, /^portcullis: cannot reach the server at http:\/\/127\.0\.0\.1:\d+\/organizations \(ECONNREFUSED\)/);
    oneLine(unreachable.stderr);
    const usage = await cli(['revoke', '--user-id', 'a', '--bogus'], { xdg: admin });
    assert.equal(usage.code, EXIT.USAGE);
    oneLine(usage.stderr);
    const partial = await cli(
      ['revoke', '--user-id', 'bob@contoso.test', '--user-id', 'ghost@contoso.test', '--yes', '--output', 'jsonl'],
      { xdg: admin },
    );
    assert.equal(partial.code, EXIT.PARTIAL);
    const byUser = new Map(
      partial.stdout
        .trim()
        .split('\n')
        .map((l) => [JSON.parse(l).user, JSON.parse(l)]),
    );
    assert.equal(byUser.get('bob@contoso.test').result, 'done');
    assert.equal(byUser.get('ghost@contoso.test').result, 'failed');
    assert.equal(byUser.get('ghost@contoso.test').code, 'Request_ResourceNotFound');
    rmSync(empty, { recursive: true, force: true });
  });

  test('app-only login with a client secret, then revoke', async () => {
    const xdg = tempConfigHome();
    const login = await cli(['login', '--server', server.url, '--tenant', TENANT_ID, '--client-id', APP.webApp], {
      xdg,
      env: { PORTCULLIS_CLIENT_SECRET: WEB_SECRET },
    });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, new RegExp(`Signed in as application ${APP.webApp} \\(app-only\\)`));
    const alice = await reload(server, server.users.alice!);
    const run = await cli(['revoke', '--user-id', alice.userPrincipalName, '--output', 'json'], { xdg });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [{ user: alice.userPrincipalName, value: true }]);
    assert.equal((await reload(server, alice)).revocationEpoch, alice.revocationEpoch + 1);
    const bad = await cli(['login', '--server', server.url, '--tenant', TENANT_ID, '--client-id', APP.webApp, '--client-secret', 'wrong'], {
      xdg,
    });
    assert.equal(bad.code, EXIT.LOGIN_FAILED);
    oneLine(bad.stderr);
    rmSync(xdg, { recursive: true, force: true });
  });

  test('insufficient privileges (4) name the scope and role; revoke --me; then the one sentence (3)', { timeout: 60_000 }, async () => {
    const xdg = tempConfigHome();
    const login = await deviceLogin(server, xdg, 'helpdesk@contoso.test');
    assert.equal(login.code, 0, login.stderr);
    const denied = await cli(['revoke', '--user-id', 'globaladmin@contoso.test'], { xdg });
    assert.equal(denied.code, EXIT.FORBIDDEN);
    assert.match(
      denied.stderr,
      /^portcullis: insufficient privileges to revoke the sign-in sessions of 'globaladmin@contoso\.test': this needs scope User\.RevokeSessions\.All and a role/,
    );
    oneLine(denied.stderr);

    const helpdesk = await reload(server, server.users.helpdesk!);
    const self = await cli(['revoke', '--me'], { xdg });
    assert.equal(self.code, 0, self.stderr);
    assert.equal(self.stdout, 'True\n');
    assert.equal((await reload(server, helpdesk)).revocationEpoch, helpdesk.revocationEpoch + 1);

    // The cached access token is refused at once (I6); the refresh token is revoked too.
    const after = await cli(['revoke', '--user-id', 'alice@contoso.test'], { xdg });
    assert.equal(after.code, EXIT.SIGNED_OUT);
    assert.equal(after.stderr, `portcullis: ${SIGNED_OUT_SENTENCE}\n`);
    const out = await cli(['logout'], { xdg });
    assert.equal(out.code, 0);
    assert.equal((await cli(['whoami'], { xdg })).code, EXIT.SIGNED_OUT);
    rmSync(xdg, { recursive: true, force: true });
  });

  test('users and audit commands', async () => {
    const created = await cli(['users', 'create', '--upn', 'carol@contoso.test', '--display-name', 'Carol', '--output', 'json'], {
      xdg: admin,
    });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /Initial password \(shown once\): /);
    const id = JSON.parse(created.stdout).id as string;
    assert.equal((await cli(['users', 'disable', 'carol@contoso.test'], { xdg: admin })).stdout, 'True\n');
    const got = await cli(['users', 'get', id, '--select', 'id,accountEnabled', '--output', 'json'], { xdg: admin });
    assert.equal(JSON.parse(got.stdout).accountEnabled, false);
    assert.equal((await cli(['users', 'enable', id], { xdg: admin })).code, 0);
    assert.equal((await cli(['users', 'reset-password', id, '--password', 'Another-Secret-42'], { xdg: admin })).code, 0);
    const list = await cli(['users', 'list', '--all', '--top', '3'], { xdg: admin });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID\s+USER PRINCIPAL NAME/);
    assert.match(list.stdout, /carol@contoso\.test/);
    const audit = await cli(
      [
        'audit',
        'list',
        '--filter',
        'Update StsRefreshTokenValidFrom Timestamp',
        '--target',
        'bob@contoso.test',
        '--since',
        '1h',
        '--output',
        'jsonl',
      ],
      { xdg: admin },
    );
    assert.equal(audit.code, 0, audit.stderr);
    const records = audit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(records.length >= 1);
    assert.ok(records.every((r) => r.activityDisplayName === 'Update StsRefreshTokenValidFrom Timestamp'));
  });

  test('signins list: the device-code approval of the login, a failed password with --failed', async () => {
    const ropc = await fetch(`${server.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'curl/8.5.0' },
      body: new URLSearchParams({ grant_type: 'password', client_id: APP.publicClient, username: 'alice@contoso.test', password: 'wrong' }),
    });
    assert.equal(ropc.status, 400);
    const approved = await cli(['signins', 'list', '--user', 'globaladmin@contoso.test', '--since', '1h', '--output', 'jsonl'], {
      xdg: admin,
    });
    assert.equal(approved.code, 0, approved.stderr);
    const rows = approved.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(rows.length >= 1 && rows.every((r) => r.userPrincipalName === 'globaladmin@contoso.test' && r.isInteractive));
    const failed = await cli(['signins', 'list', '--user', 'alice@contoso.test', '--since', '1h', '--failed'], { xdg: admin });
    assert.equal(failed.code, 0, failed.stderr);
    assert.match(failed.stdout, /^WHEN\s+USER\s+APP\s+RESULT/);
    assert.match(failed.stdout, /alice@contoso\.test\s+Public Client\s+AADSTS50126\s+127\.0\.0\.1\s+curl 8 on Unknown/);
  });

  test('signins list --service-principal: app-only sign-ins through beta, a wrong secret with --failed', async () => {
    const token = (secret: string) =>
      fetch(`${server.url}/${TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: APP.webApp,
          client_secret: secret,
          scope: 'https://graph.microsoft.com/.default',
        }),
      });
    assert.equal((await token('not-the-secret')).status, 401);
    assert.equal((await token(WEB_SECRET)).status, 200);
    const all = await cli(['signins', 'list', '--service-principal', '--app', APP.webApp, '--output', 'jsonl'], { xdg: admin });
    assert.equal(all.code, 0, all.stderr);
    const rows = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.slice(0, 2).map((r) => [r.status.errorCode, r.signInEventTypes[0], r.servicePrincipalId, r.clientCredentialType]),
      [
        [0, 'servicePrincipal', APP.webApp, 'clientSecret'],
        [7000215, 'servicePrincipal', APP.webApp, 'clientSecret'],
      ],
    );
    const failed = await cli(['signins', 'list', '--service-principal', '--failed', '--since', '1h'], { xdg: admin });
    assert.equal(failed.code, 0, failed.stderr);
    assert.match(failed.stdout, /^WHEN\s+APP\s+APPID\s+RESULT\s+IP\s+CREDENTIAL\s+RESOURCE/);
    assert.match(failed.stdout, new RegExp(`Web App\\s+${APP.webApp}\\s+AADSTS7000215\\s+127\\.0\\.0\\.1\\s+clientSecret`));
    assert.doesNotMatch(failed.stdout, /Success/);
    // The interactive list is unchanged by them.
    const interactive = await cli(['signins', 'list', '--app', APP.webApp, '--output', 'jsonl'], { xdg: admin });
    assert.equal(interactive.code, 0, interactive.stderr);
    assert.equal(interactive.stdout.trim(), '');
    const usage = await cli(['signins', 'list', '--service-principal', '--non-interactive'], { xdg: admin });
    assert.equal(usage.code, EXIT.USAGE);
  });
});

test('a server whose TLS certificate is not trusted: exit 7 naming the fingerprint and --ca-file; the CA is kept per profile', {
  timeout: 60_000,
}, async () => {
  const server = await startHttpsServer({});
  let second: Awaited<ReturnType<typeof startHttpsServer>> | undefined;
  const xdg = tempConfigHome();
  try {
    const url = `https://127.0.0.1:${server.port}`;
    const appLogin = ['--tenant', TENANT_ID, '--client-id', APP.webApp, '--client-secret', WEB_SECRET];
    const fingerprint = new X509Certificate(server.certPem).fingerprint256;
    const untrusted = await cli(['login', '--server', url, ...appLogin], { xdg });
    assert.equal(untrusted.code, EXIT.TLS_UNTRUSTED);
    assert.equal(
      untrusted.stderr,
      `portcullis: the TLS certificate of the server at ${url} is not trusted (SHA-256 fingerprint ${fingerprint}); ` +
        `run 'portcullis login --server ${url} --ca-file /path/to/ca.pem', or add --ca-fingerprint ${fingerprint} if that is the fingerprint the server's operator gave you\n`,
    );
    assert.equal(existsSync(join(xdg, 'portcullis', 'profiles', 'default', 'ca.pem')), false, 'nothing trusted without a decision');

    // --ca-file: kept in the profile (0600); later commands of the profile trust it with no environment variable.
    const caFile = join(xdg, 'ca.pem');
    writeFileSync(caFile, server.certPem);
    const trusted = await cli(['login', '--server', url, ...appLogin, '--ca-file', caFile], { xdg });
    assert.equal(trusted.code, 0, trusted.stderr);
    const kept = join(xdg, 'portcullis', 'profiles', 'default', 'ca.pem');
    assert.equal(statSync(kept).mode & 0o777, 0o600);
    rmSync(caFile);
    const read = await cli(['users', 'get', 'bob@contoso.test', '--select', 'id', '--output', 'json'], { xdg });
    assert.equal(read.code, 0, read.stderr);
    // Another profile does not trust it.
    const other = await cli(['users', 'get', 'bob@contoso.test', '--profile', 'other'], { xdg });
    assert.equal(other.code, EXIT.SIGNED_OUT, other.stderr);
    const otherLogin = await cli(['login', '--profile', 'other', '--server', url, ...appLogin], { xdg });
    assert.equal(otherLogin.code, EXIT.TLS_UNTRUSTED, otherLogin.stderr);
    assert.match(otherLogin.stderr, new RegExp(`run 'portcullis login --profile other --server ${url.replace(/\./g, '\\.')} --ca-file`));
    // A wrong fingerprint trusts nothing; the right one is kept like a --ca-file.
    const wrong = await cli(['login', '--profile', 'other', '--server', url, ...appLogin, '--ca-fingerprint', 'AB:CD'], { xdg });
    assert.equal(wrong.code, EXIT.TLS_UNTRUSTED, wrong.stderr);
    assert.match(wrong.stderr, /not the one given with --ca-fingerprint; nothing was trusted/);
    const right = await cli(['login', '--profile', 'other', '--server', url, ...appLogin, '--ca-fingerprint', fingerprint.toLowerCase()], {
      xdg,
    });
    assert.equal(right.code, 0, right.stderr);
    assert.equal((await cli(['users', 'get', 'bob@contoso.test', '--profile', 'other'], { xdg })).code, 0);
    // NODE_EXTRA_CA_CERTS still works for a fresh profile.
    writeFileSync(caFile, server.certPem);
    const viaEnv = await cli(['login', '--profile', 'env', '--server', url, ...appLogin], { xdg, env: { NODE_EXTRA_CA_CERTS: caFile } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    // ...and alongside a profile's CA: a second server trusted only through NODE_EXTRA_CA_CERTS.
    second = await startHttpsServer({});
    const secondCa = join(xdg, 'second-ca.pem');
    writeFileSync(secondCa, second.certPem);
    const both = await cli(['login', '--server', `https://127.0.0.1:${second.port}`, ...appLogin], {
      xdg,
      env: { NODE_EXTRA_CA_CERTS: secondCa },
    });
    assert.equal(both.code, 0, both.stderr);
  } finally {
    await second?.close();
    await server.close();
    rmSync(xdg, { recursive: true, force: true });
  }
});
