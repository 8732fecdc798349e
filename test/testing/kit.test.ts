/**
 * portcullis/testing (src/testing/): the in-process server and its helpers, through the real
 * issuer, store and HTTP routes (docs/testing-kit.md). Timings are printed, not asserted: the
 * kit's promises (start < 300 ms, reset < 50 ms) are measured by bench/testing-kit.ts, on a
 * machine whose load a test cannot know.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_ENTRA_REVOCATION_DELAY_MS,
  TEST_APPS,
  TEST_USERS,
  TokenError,
  startPortcullis,
  type RunningPortcullis,
} from '../../src/testing/index.js';

const ALICE = TEST_USERS.alice.userPrincipalName;
const BOB = TEST_USERS.bob.userPrincipalName;

async function refused(p: Promise<unknown>): Promise<TokenError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TokenError, `expected TokenError, got ${String(e)}`);
    return e;
  }
  assert.fail('the token endpoint answered 200');
}

const codes = (e: TokenError): unknown => e.body.error_codes;

async function me(kit: RunningPortcullis, accessToken: string): Promise<number> {
  const res = await fetch(`${kit.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}

describe('startPortcullis', () => {
  let kit: RunningPortcullis;
  before(async () => {
    const t0 = performance.now();
    kit = await startPortcullis();
    console.log(`first start (seeds, hashes passwords, makes the signing key): ${(performance.now() - t0).toFixed(0)} ms`);
  });
  after(() => kit?.stop());

  test('a second start with the same seed has its own port and issuer', async () => {
    const t0 = performance.now();
    const other = await startPortcullis();
    const ms = performance.now() - t0;
    try {
      console.log(`start: ${ms.toFixed(1)} ms`);
      assert.notEqual(other.port, kit.port);
      assert.equal(other.authority, `http://localhost:${other.port}/${other.tenantId}`);
      assert.equal(other.issuer, `http://localhost:${other.port}/${other.tenantId}/v2.0`);
      const discovery = (await (await fetch(`${other.authority}/v2.0/.well-known/openid-configuration`)).json()) as { issuer: string };
      assert.equal(discovery.issuer, other.issuer);
    } finally {
      await other.stop();
    }
  });

  test('auth code through the sign-in form and ROPC give real tokens; Graph accepts them; a revoke kills the refresh token', async () => {
    const code = await kit.tokens.authorizationCode({ username: ALICE });
    const ropc = await kit.tokens.password({ username: ALICE });
    assert.equal(await me(kit, code.access_token), 200);
    assert.equal(await me(kit, ropc.access_token), 200);
    const refreshed = await kit.tokens.refresh({ refreshToken: code.refresh_token! });
    assert.ok(refreshed.refresh_token);
    await kit.users.revokeSessions(ALICE);
    const e = await refused(kit.tokens.refresh({ refreshToken: refreshed.refresh_token! }));
    assert.equal(e.body.error, 'invalid_grant');
    assert.deepEqual(codes(e), [50173]);
    await refused(kit.tokens.refresh({ refreshToken: ropc.refresh_token! }));
    // Graph refuses the access token at once too (docs/revocation-model.md).
    assert.equal(await me(kit, refreshed.access_token), 401);
    await kit.reset();
  });

  test('completeAuthorization plays the browser for an authorize URL the app built', async () => {
    const q = new URLSearchParams({
      client_id: TEST_APPS.webApp.appId,
      response_type: 'code',
      redirect_uri: TEST_APPS.webApp.redirectUri,
      scope: 'openid offline_access User.Read',
      state: 'state-42',
    });
    const back = await kit.completeAuthorization(`${kit.authority}/oauth2/v2.0/authorize?${q}`, { username: BOB });
    assert.equal(`${back.origin}${back.pathname}`, TEST_APPS.webApp.redirectUri);
    assert.equal(back.searchParams.get('state'), 'state-42');
    const code = back.searchParams.get('code');
    assert.ok(code);
    await assert.rejects(
      kit.completeAuthorization(`${kit.authority}/oauth2/v2.0/authorize?${q}`, { username: BOB, password: 'Wrong-Pass-1' }),
      /refused/,
    );
  });

  test('approveDeviceCode is the user on /devicelogin; the device polls and gets tokens', async () => {
    const form = (o: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(o).toString(),
    });
    const started = (await (
      await fetch(
        `${kit.authority}/oauth2/v2.0/devicecode`,
        form({ client_id: TEST_APPS.publicClient.appId, scope: 'openid offline_access User.Read' }),
      )
    ).json()) as {
      device_code: string;
      user_code: string;
    };
    const poll = async () =>
      (
        await fetch(
          `${kit.authority}/oauth2/v2.0/token`,
          form({
            grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
            client_id: TEST_APPS.publicClient.appId,
            device_code: started.device_code,
          }),
        )
      ).json() as Promise<Record<string, string>>;
    assert.equal((await poll()).error, 'authorization_pending');
    await assert.rejects(kit.approveDeviceCode(started.user_code, { username: BOB, password: 'Wrong-Pass-1' }), /device login/);
    await kit.approveDeviceCode(started.user_code, { username: BOB });
    await kit.clock.advance(10_000); // the polling interval (RFC 8628 §3.5)
    const tokens = await poll();
    assert.ok(tokens.access_token, JSON.stringify(tokens));
    assert.equal(await me(kit, tokens.access_token!), 200);
    await kit.reset();
  });

  test('reset() is back to the seed: created users, credentials and revokes are gone', async () => {
    const before = await kit.tokens.password({ username: ALICE });
    const carol = await kit.users.create({ userPrincipalName: 'carol@contoso.test', password: 'Carol-Test-Pass-1', displayName: 'Carol' });
    await kit.tokens.password({ username: carol.userPrincipalName });
    await kit.users.revokeSessions(BOB);
    await kit.users.disable(ALICE);
    const ms: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await kit.reset();
      ms.push(performance.now() - t0);
    }
    console.log(`reset: ${ms.map((m) => m.toFixed(2)).join(', ')} ms`);
    await assert.rejects(kit.users.get('carol@contoso.test'), /no user/);
    const alice = await kit.users.get(ALICE);
    assert.equal(alice.accountEnabled, true);
    assert.equal((await kit.users.get(BOB)).revocationEpoch, 0);
    // A refresh token issued before the reset is not in the store any more.
    const e = await refused(kit.tokens.refresh({ refreshToken: before.refresh_token! }));
    assert.equal(e.body.error, 'invalid_grant');
    assert.ok((await kit.tokens.password({ username: ALICE })).access_token);
  });

  test('disable and resetPassword go through the real user lifecycle', async () => {
    const t = await kit.tokens.password({ username: BOB });
    await kit.users.resetPassword(BOB, 'Bob-New-Pass-2');
    await refused(kit.tokens.refresh({ refreshToken: t.refresh_token! }));
    await refused(kit.tokens.password({ username: BOB, password: TEST_USERS.bob.password }));
    assert.ok((await kit.tokens.password({ username: BOB })).access_token, 'the kit remembers the new password');
    await kit.users.disable(BOB);
    const e = await refused(kit.tokens.password({ username: BOB }));
    assert.deepEqual(codes(e), [50057]);
    await kit.reset();
  });

  test('the clock: advance() expires access tokens, SPA refresh tokens and sessions', async () => {
    const spa = await kit.tokens.authorizationCode({ username: ALICE, clientId: TEST_APPS.spa.appId });
    const web = await kit.tokens.password({ username: ALICE });
    await kit.clock.advance(2 * 3600_000);
    assert.equal(await me(kit, web.access_token), 401, 'access tokens live 60-90 minutes');
    const stillOk = await kit.tokens.refresh({ refreshToken: spa.refresh_token!, clientId: TEST_APPS.spa.appId });
    await kit.clock.advance(23 * 3600_000);
    const e = await refused(kit.tokens.refresh({ refreshToken: stillOk.refresh_token!, clientId: TEST_APPS.spa.appId }));
    assert.equal(e.body.error, 'invalid_grant', 'SPA refresh tokens live 24 h, fixed');
    assert.ok((await kit.tokens.refresh({ refreshToken: web.refresh_token! })).access_token, 'others slide (90 days)');
    await kit.reset();
    assert.ok(Math.abs(kit.clock.now() - Date.now()) < 5_000, 'reset() rewinds the clock');
  });

  test('reset() also drops sign-ins still waiting in the sign-in log buffer', async () => {
    await kit.tokens.refresh({ refreshToken: (await kit.tokens.password({ username: BOB })).refresh_token! });
    await kit.reset();
    assert.deepEqual(await kit.app.services.store.signIns.list({ tenantId: kit.app.tenant.id, limit: 10 }), []);
  });
});

describe('bad input', () => {
  test("a seed that breaks a rule is refused with the seed file's message", async () => {
    const seed = {
      tenant: { id: '11111111-2222-4333-8444-555555555555', domain: 'example.test', displayName: 'X' },
      users: [{ userPrincipalName: 'a@example.test', displayName: 'A', password: 'short' }],
    };
    await assert.rejects(startPortcullis({ seed }), /password/);
  });
});

describe('entraRevocationDelay', () => {
  test('off by default; when on, refresh tokens keep working until the delay is over', async () => {
    const kit = await startPortcullis({ entraRevocationDelay: true, clock: { frozen: true } });
    try {
      const t = await kit.tokens.password({ username: ALICE });
      await kit.users.revokeSessions(ALICE);
      const during = await kit.tokens.refresh({ refreshToken: t.refresh_token! });
      await kit.clock.advance(DEFAULT_ENTRA_REVOCATION_DELAY_MS - 1000);
      const late = await kit.tokens.refresh({ refreshToken: during.refresh_token! });
      await kit.clock.advance(1000);
      const e = await refused(kit.tokens.refresh({ refreshToken: late.refresh_token! }));
      assert.deepEqual(codes(e), [50173]);
      // Through Graph (the app's own admin call) too: answered at once, committed after the delay.
      const admin = await kit.tokens.clientCredentials({ clientId: TEST_APPS.webApp.appId, clientSecret: TEST_APPS.webApp.secret });
      const u = await kit.tokens.password({ username: BOB });
      const res = await fetch(`${kit.graphBaseUrl}/users/${BOB}/revokeSignInSessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.access_token}` },
      });
      assert.equal(res.status, 200, await res.text());
      const bobDuring = await kit.tokens.refresh({ refreshToken: u.refresh_token! });
      await kit.clock.advance(DEFAULT_ENTRA_REVOCATION_DELAY_MS);
      await refused(kit.tokens.refresh({ refreshToken: bobDuring.refresh_token! }));
    } finally {
      await kit.stop();
    }
  });

  test('a custom delay, and reset() forgets held revokes', async () => {
    const kit = await startPortcullis({ entraRevocationDelay: 60_000, clock: { frozen: true } });
    try {
      await kit.users.revokeSessions(ALICE);
      await kit.reset();
      const t = await kit.tokens.password({ username: ALICE });
      await kit.clock.advance(120_000);
      assert.ok((await kit.tokens.refresh({ refreshToken: t.refresh_token! })).access_token);
    } finally {
      await kit.stop();
    }
  });

  test('no part of serve or the app can reach the kit (it is not a serve option)', () => {
    const root = new URL('../../src/', import.meta.url).pathname;
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) =>
        statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : [],
      );
    const offenders = files(root).filter((f) => !f.includes('/src/testing/') && /from '[^']*\/testing\//.test(readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
