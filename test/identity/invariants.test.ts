import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { CookieJar, refresh, signIn, tokenRequest } from '../helpers/browser-flow.js';
import { APP, PASSWORD, TENANT_ID, WEB_SECRET, delegatedToken, makeHarness, seedDirectory, type Harness } from '../helpers/harness.js';
import { i1Violations } from '../helpers/history.js';
import { freePort, killHard, spawnUntil } from '../helpers/processes.js';

/**
 * The revocation invariants of docs/revocation-model.md, each with a test that can fail.
 */

let h: Harness;
before(async () => {
  h = await makeHarness();
});
after(async () => h.close());

const passwordSignIn = (username: string) =>
  tokenRequest(h, {
    grant_type: 'password',
    client_id: APP.publicClient,
    username,
    password: PASSWORD,
    scope: 'openid offline_access User.Read',
  });

describe('I1 + I2: concurrent refresh chains interleaved with revokes (history check)', () => {
  test('no credential issued before an answered revoke is accepted after it; fresh sign-ins work', async () => {
    const users = ['alice', 'bob', 'helpdesk', 'authadmin', 'passwordadmin', 'dirwriter'];
    const adminToken = delegatedToken(h, 'globaladmin', ['User.RevokeSessions.All']);
    type Revoke = { user: string; start: number; end: number };
    type Attempt = { user: string; originDone: number; start: number; end: number; accepted: boolean; status: number };
    const revokes: Revoke[] = [];
    const attempts: Attempt[] = [];
    const signIns: { user: string; start: number; ok: boolean }[] = [];
    // Bounded by count (1,500 refreshes) and, as a safety net on a loaded machine, by time (60 s).
    const deadline = performance.now() + 60_000;
    const maxRequests = 1500;
    let chainsDone = false;
    let requests = 0;

    /** A chain: sign in, then refresh until refused; then sign in again. `originDone` is when its grant was issued. */
    async function chain(user: string) {
      while (performance.now() < deadline && requests < maxRequests) {
        const start = performance.now();
        const s = await passwordSignIn(`${user}@contoso.test`);
        signIns.push({ user, start, ok: s.status === 200 });
        if (s.status !== 200) continue;
        const originDone = performance.now();
        let rt = s.body.refresh_token as string;
        while (performance.now() < deadline && requests < maxRequests) {
          requests++;
          const a = performance.now();
          const r = await refresh(h, rt);
          const b = performance.now();
          attempts.push({ user, originDone, start: a, end: b, accepted: r.status === 200, status: r.status });
          if (r.status !== 200) {
            assert.equal(r.status, 400, JSON.stringify(r.body));
            assert.deepEqual(r.body.error_codes, [50173], JSON.stringify(r.body));
            break;
          }
          rt = r.body.refresh_token as string;
        }
      }
    }

    /** Revokes one user (round robin) after every 25 refreshes, so the mix holds on a slow machine too. */
    async function revoker() {
      let i = 0;
      let lastAt = 0;
      while (!chainsDone && performance.now() < deadline) {
        if (requests - lastAt < 25) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        lastAt = requests;
        const user = users[i++ % users.length]!;
        const start = performance.now();
        const res = await h.app.http.inject({
          method: 'POST',
          url: `/v1.0/users/${user}@contoso.test/revokeSignInSessions`,
          headers: { authorization: `Bearer ${adminToken}` },
        });
        const end = performance.now();
        assert.equal(res.statusCode, 200, res.body);
        revokes.push({ user, start, end });
      }
    }

    const chains = Promise.all(users.flatMap((u) => [chain(u), chain(u), chain(u)])).finally(() => (chainsDone = true));
    await Promise.all([chains, revoker()]);

    // I1: a refresh that started after a revoke of its user had answered must be refused when
    // its grant was issued before that revoke started.
    const violations = i1Violations(attempts, revokes);
    // I2: every sign-in succeeded, including those after revokes.
    const failedSignIns = signIns.filter((s) => !s.ok);
    const refused = attempts.filter((a) => !a.accepted).length;
    const report = `attempts=${attempts.length} accepted=${attempts.length - refused} refused=${refused} revokes=${revokes.length} signIns=${signIns.length}`;
    console.log(`I1 history: ${report} violations=${violations.length}`);
    assert.deepEqual(violations, [], report);
    assert.deepEqual(failedSignIns, [], report);
    assert.ok(revokes.length >= 10, report);
    assert.ok(refused >= 10, `revokes must actually cut chains: ${report}`);
    assert.ok(attempts.length - refused >= 100, `chains must make progress: ${report}`);
    assert.ok(
      attempts.every((a) => a.status < 500),
      report,
    );
  });
});

describe('I3: an acknowledged revoke survives kill -9', () => {
  test('the server is killed right after answering; the revoke holds on restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-crash-'));
    const file = join(dir, 'portcullis.db');
    const seeded = openSqliteStore(file);
    const users = await seedDirectory(seeded, Date.now());
    await seeded.close();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const form = (body: Record<string, string>) =>
      fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    let child = await spawnUntil('test/fixtures/serve-child.ts', [file, String(port)], 'READY');
    try {
      const alice = await form({
        grant_type: 'password',
        client_id: APP.publicClient,
        username: 'alice@contoso.test',
        password: PASSWORD,
        scope: 'offline_access User.Read',
      });
      assert.equal(alice.status, 200, JSON.stringify(alice.body));
      const admin = await form({
        grant_type: 'client_credentials',
        client_id: APP.webApp,
        client_secret: WEB_SECRET,
        scope: 'https://graph.microsoft.com/.default',
      });
      const res = await fetch(`${base}/v1.0/users/${users.alice!.id}/revokeSignInSessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.body.access_token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 200);
      await killHard(child); // kill -9 right after the answer
      const reopened = openSqliteStore(file);
      const after = await reopened.users.findById(TENANT_ID, users.alice!.id);
      const audits = await reopened.audit.list({
        tenantId: TENANT_ID,
        activityDisplayName: 'Update StsRefreshTokenValidFrom Timestamp',
        limit: 10,
      });
      await reopened.close();
      assert.equal(after?.revocationEpoch, 1);
      assert.ok(after?.signInSessionsValidFrom);
      assert.equal(audits.length, 1);
      child = await spawnUntil('test/fixtures/serve-child.ts', [file, String(port)], 'READY');
      const r = await form({ grant_type: 'refresh_token', client_id: APP.publicClient, refresh_token: alice.body.refresh_token as string });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.error_codes, [50173]);
    } finally {
      await killHard(child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('I5: only hashes of bearer secrets are at rest', () => {
  test('no refresh token, code, session cookie, client secret or password appears in the database files', async () => {
    const jar = new CookieJar();
    const { tokens } = await signIn(h, 'alice@contoso.test', jar);
    const r = await refresh(h, tokens.refresh_token!);
    const secrets = [tokens.refresh_token!, r.body.refresh_token as string, jar.get('__Host-portcullis_sso')!, WEB_SECRET, PASSWORD];
    assert.ok(secrets.every((s) => typeof s === 'string' && s.length > 8));
    const bytes = [h.dbFile, `${h.dbFile}-wal`]
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    assert.ok(bytes.length > 0);
    for (const s of secrets) assert.equal(bytes.includes(s), false, `a secret of length ${s.length} is stored in clear`);
  });
});

describe('I6: access tokens are refused on the Graph API right after a revoke', () => {
  test('the same access token works before and is 401 after; a fresh sign-in works at once', async () => {
    const me = (token: string) => h.app.http.inject({ method: 'GET', url: '/v1.0/me', headers: { authorization: `Bearer ${token}` } });
    const { tokens } = await signIn(h, 'authadmin@contoso.test');
    assert.equal((await me(tokens.access_token!)).statusCode, 200);
    const admin = delegatedToken(h, 'globaladmin', ['User.RevokeSessions.All']);
    const revoked = await h.app.http.inject({
      method: 'POST',
      url: '/v1.0/users/authadmin@contoso.test/revokeSignInSessions',
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(revoked.statusCode, 200);
    const after = await me(tokens.access_token!);
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().error.code, 'InvalidAuthenticationToken');
    const fresh = await signIn(h, 'authadmin@contoso.test');
    assert.equal((await me(fresh.tokens.access_token!)).statusCode, 200);
  });
});
