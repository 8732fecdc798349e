import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { ManualClock } from '../../src/clock.js';
import { CookieJar, refresh, signIn, signInForCode, tokenRequest } from '../helpers/browser-flow.js';
import { APP, DAEMON_SECRET, REDIRECT, TENANT_ID, WEB_SECRET, makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
before(async () => {
  h = await makeHarness();
});
after(async () => h.close());

function decode(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

function assertEntraError(res: { status: number; body: Record<string, unknown> }, status: number, error: string, code: number) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error);
  assert.deepEqual(res.body.error_codes, [code]);
  assert.match(String(res.body.error_description), new RegExp(`^AADSTS${code}: `));
  assert.match(String(res.body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.match(String(res.body.trace_id), /^[0-9a-f-]{36}$/);
  assert.ok(res.body.correlation_id);
  assert.doesNotMatch(JSON.stringify(res.body), /\bat \w+ \(|node_modules|\.ts:\d+/);
}

describe('authorization_code grant', () => {
  test('issues Entra-shaped tokens with the v2.0 access-token claims and client_info', async () => {
    const { tokens } = await signIn(h, 'alice@contoso.test', new CookieJar(), { nonce: 'n-123' });
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(Number(tokens.expires_in) >= 3600 && Number(tokens.expires_in) <= 5400);
    assert.ok(tokens.refresh_token!.length >= 43, 'refresh token carries 256 bits');
    const at = decode(tokens.access_token!);
    const alice = h.users.alice!;
    for (const claim of [
      'iss',
      'aud',
      'tid',
      'oid',
      'sub',
      'preferred_username',
      'name',
      'scp',
      'sid',
      'uti',
      'ver',
      'azp',
      'iat',
      'nbf',
      'exp',
    ]) {
      assert.ok(at[claim] !== undefined, `access token has ${claim}`);
    }
    assert.equal(at.iss, `https://login.portcullis.test/${TENANT_ID}/v2.0`);
    assert.equal(at.oid, alice.id);
    assert.equal(at.tid, TENANT_ID);
    assert.equal(at.scp, 'User.Read openid profile');
    assert.equal(at.azp, APP.publicClient);
    const id = decode(tokens.id_token!);
    assert.equal(id.aud, APP.publicClient);
    assert.equal(id.nonce, 'n-123');
    assert.equal(id.sid, at.sid);
    assert.notEqual(id.sub, at.sub, 'sub is pairwise per application');
    assert.deepEqual(JSON.parse(Buffer.from(tokens.client_info!, 'base64url').toString()), { uid: alice.id, utid: TENANT_ID });
  });

  test('admins get wids with their role template ids', async () => {
    const { tokens } = await signIn(h, 'helpdesk@contoso.test');
    assert.deepEqual(decode(tokens.access_token!).wids, ['729827e3-9c14-49f7-bb1b-9608f156bbb8']);
  });

  test('a replayed code is refused with 54005 and revokes the refresh token it issued', async () => {
    const jar = new CookieJar();
    const { code, verifier } = await signInForCode(h, jar, 'alice@contoso.test');
    const form = {
      grant_type: 'authorization_code',
      client_id: APP.publicClient,
      code,
      redirect_uri: REDIRECT.publicClient,
      code_verifier: verifier,
    };
    const first = await tokenRequest(h, form);
    assert.equal(first.status, 200);
    assertEntraError(await tokenRequest(h, form), 400, 'invalid_grant', 54005);
    const r = await refresh(h, first.body.refresh_token as string);
    assertEntraError(r, 400, 'invalid_grant', 50173);
  });

  test('a wrong PKCE verifier is refused (50148)', async () => {
    const { code } = await signInForCode(h, new CookieJar(), 'alice@contoso.test');
    const res = await tokenRequest(h, {
      grant_type: 'authorization_code',
      client_id: APP.publicClient,
      code,
      redirect_uri: REDIRECT.publicClient,
      code_verifier: 'x'.repeat(43),
    });
    assertEntraError(res, 400, 'invalid_grant', 50148);
  });

  test('a missing verifier is refused when a challenge was sent', async () => {
    const { code } = await signInForCode(h, new CookieJar(), 'alice@contoso.test');
    const res = await tokenRequest(h, {
      grant_type: 'authorization_code',
      client_id: APP.publicClient,
      code,
      redirect_uri: REDIRECT.publicClient,
    });
    assertEntraError(res, 400, 'invalid_request', 50149);
  });

  test('a different redirect_uri at the token endpoint is refused', async () => {
    const { code, verifier } = await signInForCode(h, new CookieJar(), 'alice@contoso.test');
    const res = await tokenRequest(h, {
      grant_type: 'authorization_code',
      client_id: APP.publicClient,
      code,
      redirect_uri: 'http://localhost/other',
      code_verifier: verifier,
    });
    assertEntraError(res, 400, 'invalid_grant', 70002);
  });

  test('an unknown code is refused', async () => {
    const res = await tokenRequest(h, {
      grant_type: 'authorization_code',
      client_id: APP.publicClient,
      code: 'nope',
      redirect_uri: REDIRECT.publicClient,
      code_verifier: 'x'.repeat(43),
    });
    assertEntraError(res, 400, 'invalid_grant', 9002313);
  });

  test('a web app must prove its secret, then gets azpacr 1', async () => {
    const jar = new CookieJar();
    const o = { clientId: APP.webApp, redirectUri: REDIRECT.web, challenge: null };
    const { code } = await signInForCode(h, jar, 'alice@contoso.test', o);
    const without = await tokenRequest(h, { grant_type: 'authorization_code', client_id: APP.webApp, code, redirect_uri: REDIRECT.web });
    assertEntraError(without, 401, 'invalid_client', 7000218);
    const again = await signInForCode(h, jar, 'alice@contoso.test', o);
    const basic = Buffer.from(`${APP.webApp}:${WEB_SECRET}`).toString('base64');
    const ok = await tokenRequest(
      h,
      { grant_type: 'authorization_code', code: again.code, redirect_uri: REDIRECT.web },
      { authorization: `Basic ${basic}` },
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(decode(ok.body.access_token as string).azpacr, '1');
  });

  test('an expired code is refused (70008)', async () => {
    const clock = new ManualClock(Date.now());
    const hc = await makeHarness({ clock });
    try {
      const { code, verifier } = await signInForCode(hc, new CookieJar(), 'alice@contoso.test');
      clock.advance(11 * 60_000);
      const res = await tokenRequest(hc, {
        grant_type: 'authorization_code',
        client_id: APP.publicClient,
        code,
        redirect_uri: REDIRECT.publicClient,
        code_verifier: verifier,
      });
      assertEntraError(res, 400, 'invalid_grant', 70008);
    } finally {
      await hc.close();
    }
  });
});

describe('refresh_token grant', () => {
  test('rotates on every use; the new token works and carries the same sid', async () => {
    const { tokens } = await signIn(h, 'bob@contoso.test');
    const r1 = await refresh(h, tokens.refresh_token!);
    assert.equal(r1.status, 200);
    assert.notEqual(r1.body.refresh_token, tokens.refresh_token);
    assert.equal(decode(r1.body.access_token as string).sid, decode(tokens.access_token!).sid);
    const r2 = await refresh(h, r1.body.refresh_token as string);
    assert.equal(r2.status, 200);
  });

  test('I4: presenting a rotated token revokes the whole family', async () => {
    const { tokens } = await signIn(h, 'bob@contoso.test');
    const r1 = await refresh(h, tokens.refresh_token!);
    const replay = await refresh(h, tokens.refresh_token!);
    assertEntraError(replay, 400, 'invalid_grant', 70000);
    assert.equal(replay.body.suberror, 'bad_token');
    const legit = await refresh(h, r1.body.refresh_token as string);
    assertEntraError(legit, 400, 'invalid_grant', 50173);
  });

  test('I4: concurrent use of one token — exactly one wins', async () => {
    const { tokens } = await signIn(h, 'bob@contoso.test');
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(h, tokens.refresh_token!)));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
  });

  test('a grace window tolerates a lost response without revoking the family', async () => {
    const hg = await makeHarness({ config: { tokens: { refreshReuseGraceSeconds: 30 } as never } });
    try {
      const { tokens } = await signIn(hg, 'bob@contoso.test');
      const r1 = await refresh(hg, tokens.refresh_token!);
      const replay = await refresh(hg, tokens.refresh_token!);
      assert.equal(replay.status, 400);
      assert.equal((await refresh(hg, r1.body.refresh_token as string)).status, 200);
    } finally {
      await hg.close();
    }
  });

  test('another client cannot use (or burn) the token', async () => {
    const { tokens } = await signIn(h, 'bob@contoso.test');
    const other = await refresh(h, tokens.refresh_token!, APP.spa);
    assertEntraError(other, 400, 'invalid_grant', 9002313);
    assert.equal((await refresh(h, tokens.refresh_token!)).status, 200);
  });

  test('after a revoke: 50173 with suberror bad_token and the TokensValidFrom text', async () => {
    const { tokens } = await signIn(h, 'bob@contoso.test');
    await revokeUserSessions(h.store, h.clock, { target: h.users.bob!, actor: {}, correlationId: 'test' });
    const res = await refresh(h, tokens.refresh_token!);
    assertEntraError(res, 400, 'invalid_grant', 50173);
    assert.equal(res.body.suberror, 'bad_token');
    assert.match(String(res.body.error_description), /TokensValidFrom date/);
    // I2: a new sign-in after the revoke works.
    const fresh = await signIn(h, 'bob@contoso.test');
    assert.equal((await refresh(h, fresh.tokens.refresh_token!)).status, 200);
  });

  test('a disabled user gets 50057; a password reset revokes (50173)', async () => {
    const { tokens: t1 } = await signIn(h, 'passwordadmin@contoso.test');
    const { tokens: t2 } = await signIn(h, 'passwordadmin@contoso.test');
    const u = h.users.passwordadmin!;
    await h.store.users.update(u.tenantId, u.id, { accountEnabled: false }, { revokeAt: h.clock.now(), audit: [] });
    assertEntraError(await refresh(h, t1.refresh_token!), 400, 'invalid_grant', 50057);
    await h.store.users.update(u.tenantId, u.id, { accountEnabled: true }, { audit: [] });
    assertEntraError(await refresh(h, t2.refresh_token!), 400, 'invalid_grant', 50173);
  });
});

describe('client_credentials grant', () => {
  test('issues an app-only token with roles', async () => {
    const res = await tokenRequest(h, {
      grant_type: 'client_credentials',
      client_id: APP.webApp,
      client_secret: WEB_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.refresh_token, undefined);
    const at = decode(res.body.access_token as string);
    assert.deepEqual(at.roles, [
      'User.RevokeSessions.All',
      'User.ReadWrite.All',
      'User-PasswordProfile.ReadWrite.All',
      'AuditLog.Read.All',
    ]);
    assert.equal(at.idtyp, 'app');
    assert.equal(res.headers['cache-control'], 'no-store, no-cache');
  });

  test('a wrong secret is 401 invalid_client (7000215); no secret is 7000218', async () => {
    assertEntraError(
      await tokenRequest(h, {
        grant_type: 'client_credentials',
        client_id: APP.daemonNoPerms,
        client_secret: 'wrong',
        scope: 'https://graph.microsoft.com/.default',
      }),
      401,
      'invalid_client',
      7000215,
    );
    assertEntraError(
      await tokenRequest(h, {
        grant_type: 'client_credentials',
        client_id: APP.publicClient,
        scope: 'https://graph.microsoft.com/.default',
      }),
      401,
      'invalid_client',
      7000218,
    );
  });

  test('the scope must be {resource}/.default', async () => {
    assertEntraError(
      await tokenRequest(h, {
        grant_type: 'client_credentials',
        client_id: APP.daemonNoPerms,
        client_secret: DAEMON_SECRET,
        scope: 'User.Read',
      }),
      400,
      'invalid_scope',
      1002012,
    );
    assertEntraError(
      await tokenRequest(h, {
        grant_type: 'client_credentials',
        client_id: APP.daemonNoPerms,
        client_secret: DAEMON_SECRET,
        scope: 'https://evil.test/.default',
      }),
      400,
      'invalid_resource',
      500011,
    );
  });
});

describe('password grant', () => {
  test('works for apps that allow public client flows', async () => {
    const res = await tokenRequest(h, {
      grant_type: 'password',
      client_id: APP.publicClient,
      username: 'alice@contoso.test',
      password: 'Correct-Horse-9',
      scope: 'openid offline_access User.Read',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.refresh_token);
  });
  test('bad credentials are 50126 for unknown users and wrong passwords alike; disabled is 50057', async () => {
    const base = { grant_type: 'password', client_id: APP.publicClient, scope: 'User.Read' };
    assertEntraError(await tokenRequest(h, { ...base, username: 'alice@contoso.test', password: 'nope' }), 400, 'invalid_grant', 50126);
    assertEntraError(await tokenRequest(h, { ...base, username: 'ghost@contoso.test', password: 'nope' }), 400, 'invalid_grant', 50126);
    assertEntraError(
      await tokenRequest(h, { ...base, username: 'disabled@contoso.test', password: 'Correct-Horse-9' }),
      400,
      'invalid_grant',
      50057,
    );
  });
  test('is refused for apps without public client flows', async () => {
    const res = await tokenRequest(h, {
      grant_type: 'password',
      client_id: APP.spa,
      username: 'alice@contoso.test',
      password: 'Correct-Horse-9',
    });
    assertEntraError(res, 401, 'invalid_client', 7000218);
  });
});

describe('bad input at the token endpoint', () => {
  const url = `/${TENANT_ID}/oauth2/v2.0/token`;
  test('JSON and other content types are refused with invalid_request', async () => {
    for (const [type, payload] of [
      ['application/json', '{"grant_type":"refresh_token"}'],
      ['text/plain', 'grant_type=refresh_token'],
      ['application/xml', '<x/>'],
    ] as const) {
      const res = await h.app.http.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });
      assert.equal(res.statusCode, 400, `${type}: ${res.body}`);
      assert.equal(res.json().error, 'invalid_request');
    }
  });
  test('malformed JSON with a JSON content type is still an OAuth error, not a 500', async () => {
    const res = await h.app.http.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{oops' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
  });
  test('an oversized body is refused', async () => {
    const res = await h.app.http.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=password&x=${'a'.repeat(2 * 1024 * 1024)}`,
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
    assert.deepEqual(res.json().error_codes, [90014]);
  });
  test('missing and unknown grant types; duplicate parameters', async () => {
    assertEntraError(await tokenRequest(h, { client_id: APP.publicClient }), 400, 'invalid_request', 900144);
    assertEntraError(await tokenRequest(h, { grant_type: 'magic', client_id: APP.publicClient }), 400, 'unsupported_grant_type', 70003);
    const dup = await h.app.http.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=refresh_token&grant_type=password',
    });
    assert.equal(dup.statusCode, 400);
    assert.deepEqual(dup.json().error_codes, [90015]);
  });
  test('unknown and malformed clients; unknown tenants', async () => {
    assertEntraError(
      await tokenRequest(h, { grant_type: 'refresh_token', client_id: '00000000-0000-4000-8000-00000000dead', refresh_token: 'x' }),
      400,
      'unauthorized_client',
      700016,
    );
    assertEntraError(
      await tokenRequest(h, { grant_type: 'refresh_token', client_id: 'not-a-guid', refresh_token: 'x' }),
      400,
      'invalid_request',
      700038,
    );
    const res = await h.app.http.inject({
      method: 'POST',
      url: '/nosuchtenant.test/oauth2/v2.0/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=refresh_token',
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().error_codes, [90002]);
  });
  test('errors are JSON by the route, even when the query string names the authorize endpoint', async () => {
    const odd = `${url}?next=/oauth2/v2.0/authorize`;
    for (const [type, payload] of [
      ['application/x-www-form-urlencoded', 'grant_type=magic'], // thrown by the handler
      ['application/json', '{oops'], // refused by fastify before the handler runs
    ] as const) {
      const res = await h.app.http.inject({ method: 'POST', url: odd, headers: { 'content-type': type }, payload });
      assert.equal(res.statusCode, 400, `${type}: ${res.body.slice(0, 200)}`);
      assert.match(String(res.headers['content-type']), /^application\/json/, type);
      assert.ok(Array.isArray(res.json().error_codes), type);
    }
  });
  test('the tenant may be named by domain, common or organizations', async () => {
    for (const t of ['contoso.test', 'common', 'organizations', TENANT_ID.toUpperCase()]) {
      const res = await h.app.http.inject({
        method: 'POST',
        url: `/${t}/oauth2/v2.0/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: APP.webApp,
          client_secret: WEB_SECRET,
          scope: 'https://graph.microsoft.com/.default',
        }).toString(),
      });
      assert.equal(res.statusCode, 200, `${t}: ${res.body}`);
    }
  });
});
