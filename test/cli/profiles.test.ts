/**
 * The CLI as a daily tool: profiles (one per server or account), the session file of a CLI
 * without profiles migrated into "default", `portcullis login` reusing the profile's last server
 * after a revoke, and a 403 for a missing scope naming the exact login that fixes it — which then
 * works as printed. Real CLI processes against a real server.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EXIT } from '../../src/cli/cli-error.js';
import { APP, TENANT_ID, WEB_SECRET } from '../helpers/harness.js';
import { approveDevice, cli, deviceLogin, startServer, tempConfigHome, type CliRun, type Server } from './cli-helpers.js';

let server: Server;
const homes: string[] = [];
const home = () => {
  const xdg = tempConfigHome();
  homes.push(xdg);
  return xdg;
};
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** `portcullis <args>` whose device code is approved as `username` (no --server added). */
async function loginAs(xdg: string, username: string, args: string[]): Promise<CliRun> {
  let approving: Promise<void> | null = null;
  const run = await cli(args, {
    xdg,
    onStdout: (out) => {
      const m = /open the page (\S+) and enter the code (\S+) to authenticate/.exec(out);
      if (m && !approving) approving = approveDevice(m[1]!, m[2]!, username);
    },
  });
  await approving;
  return run;
}

test('the session file of a CLI without profiles becomes the "default" profile, transparently', async () => {
  const xdg = home();
  const login = await cli(
    ['login', '--server', server.url, '--tenant', TENANT_ID, '--client-id', APP.webApp, '--client-secret', WEB_SECRET],
    { xdg },
  );
  assert.equal(login.code, 0, login.stderr);
  // Put it where the CLI kept it before profiles, and nothing else.
  const legacy = join(xdg, 'portcullis', 'session.json');
  renameSync(join(xdg, 'portcullis', 'profiles', 'default', 'session.json'), legacy);
  rmSync(join(xdg, 'portcullis', 'profiles'), { recursive: true });
  const read = await cli(['users', 'get', 'bob@contoso.test', '--select', 'id', '--output', 'json'], { xdg });
  assert.equal(read.code, 0, read.stderr);
  assert.equal(JSON.parse(read.stdout).id, server.users.bob!.id);
  assert.equal(existsSync(legacy), false);
  assert.ok(existsSync(join(xdg, 'portcullis', 'profiles', 'default', 'session.json')));
});

test('a 403 for a missing scope names the login that fixes it; that login, without --server, works', { timeout: 60_000 }, async () => {
  const xdg = home();
  const login = await deviceLogin(server, xdg, 'globaladmin@contoso.test');
  assert.equal(login.code, 0, login.stderr);
  const denied = await cli(['users', 'list'], { xdg });
  assert.equal(denied.code, EXIT.FORBIDDEN);
  assert.equal(
    denied.stderr,
    'portcullis: Your sign-in lacks User.Read.All, which is needed to list users. Run: portcullis login --scopes User.RevokeSessions.All,User.Read.All\n',
  );
  const fix = denied.stderr.split('Run: ')[1]!.trim().split(' ').slice(1);
  const again = await loginAs(xdg, 'globaladmin@contoso.test', fix);
  assert.equal(again.code, 0, again.stderr);
  const listed = await cli(['users', 'list'], { xdg });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /bob@contoso\.test/);
  // The scope kept: revoking still works.
  assert.equal((await cli(['revoke', '--user-id', 'alice@contoso.test'], { xdg })).code, 0);
});

test("after revoke --me, `portcullis login` reuses the profile's server, tenant and scopes", { timeout: 60_000 }, async () => {
  const xdg = home();
  const first = await deviceLogin(server, xdg, 'helpdesk@contoso.test', ['--scopes', 'User.RevokeSessions.All,User.Read.All']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal((await cli(['revoke', '--me'], { xdg })).code, 0);
  const out = await cli(['users', 'get', 'bob@contoso.test'], { xdg });
  assert.equal(out.code, EXIT.SIGNED_OUT);
  const again = await loginAs(xdg, 'helpdesk@contoso.test', ['login']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Signed in as helpdesk@contoso\.test in tenant \S+ \(profile 'default'\)/);
  const who = JSON.parse((await cli(['whoami', '--output', 'json'], { xdg })).stdout);
  assert.match(who.permissions, /User\.Read\.All/);
  assert.equal(who.graph, server.url);
  // After logout too; a profile that never signed in still needs --server.
  assert.equal((await cli(['logout'], { xdg })).code, 0);
  const nowhere = await cli(['login', '--profile', 'fresh'], { xdg });
  assert.equal(nowhere.code, EXIT.USAGE);
  assert.match(nowhere.stderr, /profile 'fresh' has no earlier sign-in to reuse/);
});

test('profiles: --profile and PORTCULLIS_PROFILE keep sessions apart; list; logout one', async () => {
  const xdg = home();
  const app = ['--tenant', TENANT_ID, '--client-id', APP.webApp, '--client-secret', WEB_SECRET];
  assert.equal((await cli(['login', '--server', server.url, ...app, '--profile', 'lab'], { xdg })).code, 0);
  assert.equal((await cli(['whoami'], { xdg })).code, EXIT.SIGNED_OUT, 'the default profile is not signed in');
  const viaEnv = await cli(['whoami', '--output', 'json'], { xdg, env: { PORTCULLIS_PROFILE: 'lab' } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(JSON.parse(viaEnv.stdout).account, APP.webApp);
  assert.equal(JSON.parse(viaEnv.stdout).profile, 'lab');
  mkdirSync(join(xdg, 'portcullis', 'profiles', 'empty'));
  const listed = await cli(['profiles', 'list', '--profile', 'lab', '--output', 'json'], { xdg });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), [
    { profile: 'empty', current: false, account: null, server: null, signedIn: false },
    { profile: 'lab', current: true, account: APP.webApp, server: server.url, signedIn: true },
  ]);
  assert.match((await cli(['logout', '--profile', 'lab'], { xdg })).stdout, /^Signed out of profile 'lab'/);
  assert.equal((await cli(['whoami', '--profile', 'lab'], { xdg })).code, EXIT.SIGNED_OUT);
  const bad = await cli(['whoami', '--profile', '../x'], { xdg });
  assert.equal(bad.code, EXIT.USAGE);
  assert.match(bad.stderr, /profile name '\.\.\/x' must be letters, digits/);
});
