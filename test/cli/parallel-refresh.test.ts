/**
 * Two CLI commands at the same moment must not both redeem the one refresh token: the second
 * redemption is reuse, and the server revokes the whole grant (RFC 9700 §4.14.2) — the
 * administrator's own sign-in. Real processes against a real server, the access token forced
 * expired in the session file so that every one of them wants to refresh.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli, deviceLogin, startServer, tempConfigHome, type Server } from './cli-helpers.js';

let server: Server;
let xdg: string;
before(async () => {
  server = await startServer();
  xdg = tempConfigHome();
});
after(async () => {
  await server.close();
  rmSync(xdg, { recursive: true, force: true });
});

function expireAccessToken(): void {
  const file = join(xdg, 'portcullis', 'profiles', 'default', 'session.json');
  const session = JSON.parse(readFileSync(file, 'utf8'));
  session.expiresAt = 0;
  writeFileSync(file, JSON.stringify(session));
}

test('six parallel commands with an expired access token: all succeed, one refresh, the session survives', {
  timeout: 90_000,
}, async () => {
  const login = await deviceLogin(server, xdg, 'globaladmin@contoso.test', ['--scopes', 'User.Read.All']);
  assert.equal(login.code, 0, login.stderr);
  expireAccessToken();
  const runs = await Promise.all(
    Array.from({ length: 6 }, () => cli(['users', 'get', 'bob@contoso.test', '--select', 'id', '--output', 'json'], { xdg })),
  );
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  assert.ok(runs.every((r) => JSON.parse(r.stdout).id === server.users.bob!.id));
  // A later command that must refresh again: it works only if the grant was not revoked for reuse.
  expireAccessToken();
  const later = await cli(['users', 'get', 'bob@contoso.test', '--select', 'id', '--output', 'json'], { xdg });
  assert.equal(later.code, 0, later.stderr);
  assert.equal(
    readFileSync(join(xdg, 'portcullis', 'profiles', 'default', 'session.json'), 'utf8').includes('"refreshToken": null'),
    false,
  );
});

test('a lock left by a process that has ended is taken over, and removed afterwards', { timeout: 60_000 }, async () => {
  // A pid that surely belongs to no process any more: a child that has exited.
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const lock = join(xdg, 'portcullis', 'profiles', 'default', 'refresh.lock');
  writeFileSync(lock, `${gone.stdout}\n`);
  expireAccessToken();
  const started = Date.now();
  const run = await cli(['users', 'get', 'bob@contoso.test', '--select', 'id', '--output', 'json'], { xdg });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(Date.now() - started < 30_000, 'did not wait for the abandoned lock to age');
  assert.equal(existsSync(lock), false);
});
