/**
 * `portcullis sessions` (src/cli/commands/sessions.ts): the real CLI process against a real
 * server — a user's sessions as a table, and targeted revocation with --dry-run, --session,
 * --app and --all-except, each checked against what the server then refuses.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/cli-error.js';
import { refresh, signIn } from '../helpers/browser-flow.js';
import { APP, TENANT_ID } from '../helpers/harness.js';
import { cli, deviceLogin, startServer, tempConfigHome, type Server } from './cli-helpers.js';

describe('portcullis sessions', () => {
  let server: Server;
  let admin: string;
  before(async () => {
    server = await startServer();
    admin = tempConfigHome();
    const login = await deviceLogin(server, admin, 'globaladmin@contoso.test', ['--scopes', 'User.RevokeSessions.All']);
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await server.close();
    rmSync(admin, { recursive: true, force: true });
  });

  const sessionsOf = async (user: string) =>
    (await server.store.inventory.list({ tenantId: TENANT_ID, userId: server.users[user]!.id, limit: 100, now: Date.now() })).filter(
      (e) => e.kind === 'session',
    );

  test('list: a table of device, app, IP and last use; --output json gives the Graph objects', { timeout: 60_000 }, async () => {
    await signIn(server, 'alice@contoso.test');
    const run = await cli(['sessions', 'list', '--user', 'alice@contoso.test'], { xdg: admin });
    assert.equal(run.code, 0, run.stderr);
    const [header, ...rows] = run.stdout.trim().split('\n');
    assert.match(header!, /^ID\s+KIND\s+DEVICE\s+APP\s+IP\s+LAST USED\s+LIVE$/);
    assert.equal(rows.length, 2);
    assert.ok(
      rows.every((r) => r.includes(APP.publicClient) && r.includes('127.0.0.1') && /ago\s+yes$/.test(r)),
      run.stdout,
    );
    const json = await cli(['sessions', 'list', '--user', 'alice@contoso.test', '--output', 'json'], { xdg: admin });
    const parsed = JSON.parse(json.stdout) as { kind: string; isLive: boolean }[];
    assert.deepEqual(parsed.map((e) => e.kind).sort(), ['browserSession', 'refreshTokenGrant']);
  });

  test('revoke --session with --dry-run first, then for real; --app; --all-except', { timeout: 60_000 }, async () => {
    const one = await signIn(server, 'bob@contoso.test');
    const two = await signIn(server, 'bob@contoso.test');
    const [newest, older] = (await sessionsOf('bob')).sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : 1));
    assert.ok(newest && older);
    const dry = await cli(['sessions', 'revoke', '--user', 'bob@contoso.test', '--session', older.id, '--dry-run'], { xdg: admin });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Would revoke 1 session\(s\) and 1 grant\(s\)\n {2}session /);
    assert.equal((await sessionsOf('bob')).filter((s) => s.live).length, 2, 'a dry run revokes nothing');

    const cut = await cli(['sessions', 'revoke', '--user', 'bob@contoso.test', '--session', older.id], { xdg: admin });
    assert.equal(cut.code, 0, cut.stderr);
    assert.match(cut.stdout, /^Revoked 1 session\(s\) and 1 grant\(s\)/);
    const results = [await refresh(server, one.tokens.refresh_token!), await refresh(server, two.tokens.refresh_token!)];
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 400], 'exactly the cut sign-in is refused');
    const survivor = results.find((r) => r.status === 200)!;

    const app = await cli(['sessions', 'revoke', '--user', 'bob@contoso.test', '--app', APP.publicClient, '--output', 'json'], {
      xdg: admin,
    });
    assert.equal(app.code, 0, app.stderr);
    assert.deepEqual((({ sessionCount, grantCount }) => ({ sessionCount, grantCount }))(JSON.parse(app.stdout)[0]), {
      sessionCount: 0,
      grantCount: 1,
    });
    assert.equal((await refresh(server, String(survivor.body.refresh_token))).status, 400);

    const others = await cli(['sessions', 'revoke', '--user', 'bob@contoso.test', '--all-except', newest.id], { xdg: admin });
    assert.equal(others.code, 0, others.stderr);
    assert.match(others.stdout, /^Revoked 0 session\(s\) and 0 grant\(s\)/);
  });

  test('usage errors: no --user, two targets at once', async () => {
    const none = await cli(['sessions', 'list'], { xdg: admin });
    assert.equal(none.code, EXIT.USAGE);
    const two = await cli(['sessions', 'revoke', '--user', 'me', '--app', APP.spa, '--session', APP.spa], { xdg: admin });
    assert.equal(two.code, EXIT.USAGE);
    assert.match(two.stderr, /exactly one of --session, --app, --all-except/);
  });
});
