/**
 * `serve --seed` against what administrators change at runtime, end to end: the real server, the
 * real `portcullis users reset-password`, real Graph, real restarts on one data directory. An
 * incident response (password reset, deletion) must survive a restart with the same seed file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_CLIENT_ID } from '../../src/cli/commands/login.js';
import { PASSWORD } from '../helpers/harness.js';
import { cli, deviceLogin, type Server } from './cli-helpers.js';
import { killAll, startServe, type Served } from './serve-process.js';

const TENANT = { id: '5a0c2f4e-2b1a-4c3d-8e9f-0a1b2c3d4e5f', domain: 'contoso.test', displayName: 'Contoso' };
const SEED_PASSWORD = 'Seeded-Alice-1';
const RUNTIME_PASSWORD = 'Reset-By-Admin-7';

function seedJson(alicePassword: string): string {
  return JSON.stringify({
    tenant: TENANT,
    users: [
      // The administrator signs in on /devicelogin with the test helpers' PASSWORD.
      { userPrincipalName: 'admin@contoso.test', displayName: 'Admin', password: PASSWORD, roles: ['Global Administrator'] },
      { userPrincipalName: 'alice@contoso.test', displayName: 'Alice', password: alicePassword },
      { userPrincipalName: 'dave@contoso.test', displayName: 'Dave', password: 'Seeded-Dave-1' },
    ],
    applications: [
      {
        appId: DEFAULT_CLIENT_ID,
        displayName: 'Portcullis CLI',
        publicClient: { redirectUris: ['http://localhost'] },
        allowPublicClientFlows: true,
        delegatedPermissions: [
          'User.RevokeSessions.All',
          'User.ReadWrite.All',
          'Directory.ReadWrite.All',
          'AuditLog.Read.All',
          'User.Read',
        ],
      },
    ],
  });
}

/** The resource owner password grant (RFC 6749 §4.3): does this password sign alice in? */
async function signIn(server: Served, username: string, password: string): Promise<number> {
  const res = await fetch(`${server.base}/${TENANT.id}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: DEFAULT_CLIENT_ID, username, password, scope: 'openid User.Read' }),
    signal: AbortSignal.timeout(15_000),
  });
  await res.arrayBuffer();
  return res.status;
}

async function adminToken(server: Served): Promise<string> {
  const res = await fetch(`${server.base}/${TENANT.id}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: DEFAULT_CLIENT_ID,
      username: 'admin@contoso.test',
      password: PASSWORD,
      scope: 'User.ReadWrite.All Directory.ReadWrite.All',
    }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token ?? '';
}

const dirs: string[] = [];
after(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('serve --seed keeps what was changed at runtime', () => {
  it('a password reset by `portcullis users reset-password` and a deletion survive a restart with the same seed', {
    timeout: 300_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-seed-runtime-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const seedFile = join(dir, 'seed.json');
    const xdg = join(dir, 'xdg');
    writeFileSync(seedFile, seedJson(SEED_PASSWORD));

    const first = await startServe(['--data-dir', dataDir, '--seed', seedFile]);
    try {
      assert.match(first.output(), /^Seed '.*': 5 created, 0 updated, 0 unchanged, 0 skipped, 0 adopted \(3 argon2 computations\)$/m);
      assert.match(first.output(), /^ {2}seed users: +3 created \(admin@contoso\.test, alice@contoso\.test, dave@contoso\.test\)$/m);
      // The incident response: alice's password is reset through the CLI, dave is deleted through Graph.
      const login = await deviceLogin({ url: first.base } as Server, xdg, 'admin@contoso.test', ['--scopes', 'User.ReadWrite.All']);
      assert.equal(login.code, 0, login.stderr);
      const reset = await cli(['users', 'reset-password', 'alice@contoso.test', '--password', RUNTIME_PASSWORD], { xdg });
      assert.equal(reset.code, 0, reset.stderr);
      const del = await fetch(`${first.base}/v1.0/users/dave@contoso.test`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${await adminToken(first)}` },
        signal: AbortSignal.timeout(15_000),
      });
      assert.equal(del.status, 204, await del.text());
    } finally {
      assert.equal(await first.stop(), 0);
    }

    const second = await startServe(['--data-dir', dataDir, '--seed', seedFile]);
    try {
      const out = second.output();
      assert.match(out, /^Seed '.*': 0 created, 0 updated, 4 unchanged, 1 skipped, 0 adopted \(0 argon2 computations\)$/m);
      assert.match(out, /^ {2}seed users: +2 unchanged, 1 skipped \(dave@contoso\.test: deleted at runtime, not recreated\)$/m);
      assert.doesNotMatch(out, new RegExp(`${SEED_PASSWORD}|${RUNTIME_PASSWORD}|${PASSWORD}`));
      assert.equal(await signIn(second, 'alice@contoso.test', RUNTIME_PASSWORD), 200, 'the password set at runtime still works');
      assert.equal(await signIn(second, 'alice@contoso.test', SEED_PASSWORD), 400, 'the seed password is not set again');
      assert.equal(await signIn(second, 'dave@contoso.test', 'Seeded-Dave-1'), 400, 'the deleted user is not recreated');
    } finally {
      assert.equal(await second.stop(), 0);
    }

    // The operator changes alice's password in the file: that change is applied, and said.
    writeFileSync(seedFile, seedJson('Seeded-Alice-2'));
    const third = await startServe(['--data-dir', dataDir, '--seed', seedFile]);
    try {
      assert.match(
        third.output(),
        /^ {2}seed users: +1 updated \(alice@contoso\.test: password\), 1 unchanged, 1 skipped \(dave@contoso\.test: deleted at runtime, not recreated\)$/m,
      );
      assert.equal(await signIn(third, 'alice@contoso.test', 'Seeded-Alice-2'), 200);
      assert.equal(await signIn(third, 'alice@contoso.test', RUNTIME_PASSWORD), 400);
    } finally {
      assert.equal(await third.stop(), 0);
    }
  });
});
