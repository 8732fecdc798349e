import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TOKEN_LIFETIMES } from '../../src/config.js';
import { CookieJar, authorizeUrl, pkcePair, refresh, signIn, signInForCode, tokenRequest } from '../helpers/browser-flow.js';
import { APP, PASSWORD, REDIRECT, TENANT_ID, makeHarness, type Harness } from '../helpers/harness.js';

/**
 * The `claims` request parameter (OIDC Core §5.5) as MSAL uses it for CAE (https://learn.microsoft.com/entra/identity-platform/claims-challenge):
 * validated on /authorize and /token, `xms_cc` capabilities persisted with the code and the grant
 * so refreshed tokens keep them, the long-lived CAE lifetime when configured, and a challenge's
 * `nbf` not answered silently by an older SSO session.
 */
const CP1 = JSON.stringify({ access_token: { xms_cc: { values: ['CP1'] } } });
const HOUR = 3600;

function decode(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const passwordGrant = (h: Harness, user: string, extra: Record<string, string> = {}) =>
  tokenRequest(h, {
    grant_type: 'password',
    client_id: APP.publicClient,
    username: `${user}@contoso.test`,
    password: PASSWORD,
    scope: 'openid offline_access User.Read',
    ...extra,
  });

describe('claims parameter: validation', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  test('malformed claims on /token: 400 invalid_request AADSTS90023, and the code is not consumed', async () => {
    const { code, verifier } = await signInForCode(h, new CookieJar(), 'alice@contoso.test');
    const redeem = (claims?: string) =>
      tokenRequest(h, {
        grant_type: 'authorization_code',
        client_id: APP.publicClient,
        code,
        redirect_uri: REDIRECT.publicClient,
        code_verifier: verifier,
        ...(claims === undefined ? {} : { claims }),
      });
    for (const bad of [
      '{not json',
      '[]',
      '"cp1"',
      '{"access_token":[]}',
      '{"access_token":{"xms_cc":{"values":[1]}}}',
      '{"access_token":{"xms_cc":{"values":"cp1"}}}',
      '{"id_token":{"auth_time":{"essential":"yes"}}}',
      '{"access_token":{"nbf":{"essential":true,"value":"soon"}}}',
      `{"access_token":{"x":"${'a'.repeat(5000)}"}}`,
    ]) {
      const res = await redeem(bad);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.error, 'invalid_request', bad);
      assert.deepEqual(res.body.error_codes, [90023], bad);
      assert.match(String(res.body.error_description), /^AADSTS90023: The claims parameter is not valid/);
    }
    const ok = await redeem(CP1);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('malformed claims on /authorize: redirected back as invalid_request', async () => {
    const res = await h.app.http.inject({ method: 'GET', url: authorizeUrl({ extra: { claims: '{"access_token":' } }, pkcePair()) });
    assert.equal(res.statusCode, 302);
    const loc = new URL(res.headers.location as string);
    assert.equal(loc.searchParams.get('error'), 'invalid_request');
    assert.equal(loc.searchParams.get('error_codes'), '90023');
  });

  test('/devicecode validates claims the same way (MSAL sends them there too)', async () => {
    const start = (claims: string) =>
      h.app.http.inject({
        method: 'POST',
        url: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ client_id: APP.publicClient, scope: 'User.Read offline_access', claims }).toString(),
      });
    const bad = await start('{"access_token":7}');
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json().error_codes, [90023]);
    assert.equal((await start(CP1)).statusCode, 200);
  });

  test('well-formed claims Portcullis does not act on are accepted and change nothing', async () => {
    const res = await passwordGrant(h, 'alice', { claims: '{"id_token":{"auth_time":{"essential":true}},"userinfo":{"email":null}}' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(decode(res.body.access_token as string).xms_cc, undefined);
  });
});

describe('claims parameter: CAE capability (xms_cc) persisted with the code and the grant', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  test('cp1 declared on /authorize only: the token and every refreshed token carry xms_cc ["cp1"]', async () => {
    const { tokens } = await signIn(h, 'alice@contoso.test', new CookieJar(), { extra: { claims: CP1 } });
    const first = decode(tokens.access_token!);
    assert.deepEqual(first.xms_cc, ['cp1']);
    assert.equal(typeof first.pc_gid, 'string', 'the grant id travels in the token');
    // A refresh without any claims parameter keeps the capability the grant was started with.
    const r1 = await refresh(h, tokens.refresh_token!);
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    const second = decode(r1.body.access_token as string);
    assert.deepEqual(second.xms_cc, ['cp1']);
    assert.equal(second.pc_gid, first.pc_gid);
    const r2 = await refresh(h, r1.body.refresh_token as string);
    assert.deepEqual(decode(r2.body.access_token as string).xms_cc, ['cp1']);
  });

  test('cp1 declared on /token only (password grant) is persisted too; without it there is no xms_cc', async () => {
    const withCp1 = await passwordGrant(h, 'bob', { claims: CP1 });
    assert.deepEqual(decode(withCp1.body.access_token as string).xms_cc, ['cp1']);
    const refreshed = await refresh(h, withCp1.body.refresh_token as string);
    assert.deepEqual(decode(refreshed.body.access_token as string).xms_cc, ['cp1']);

    const plain = await passwordGrant(h, 'bob');
    assert.equal(decode(plain.body.access_token as string).xms_cc, undefined);
    // A client may declare the capability later, on a refresh: that token carries it.
    const declaredLater = await tokenRequest(h, {
      grant_type: 'refresh_token',
      client_id: APP.publicClient,
      refresh_token: plain.body.refresh_token as string,
      claims: CP1,
    });
    assert.deepEqual(decode(declaredLater.body.access_token as string).xms_cc, ['cp1']);
  });

  test('default lifetimes: a cp1 client gets the ordinary 60–90 min token and no refresh_in', async () => {
    const res = await passwordGrant(h, 'alice', { claims: CP1 });
    const expiresIn = res.body.expires_in as number;
    assert.ok(expiresIn >= HOUR && expiresIn <= 1.5 * HOUR, String(expiresIn));
    assert.equal(res.body.refresh_in, undefined);
  });
});

describe('claims parameter: long-lived CAE tokens when configured', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({
      config: { tokens: { ...DEFAULT_TOKEN_LIFETIMES, caeAccessTokenMinSeconds: 20 * HOUR, caeAccessTokenMaxSeconds: 28 * HOUR } },
    });
  });
  after(() => h.close());

  test('cp1 clients get 20–28 h tokens with refresh_in; other clients keep 60–90 min', async () => {
    const cae = await passwordGrant(h, 'alice', { claims: CP1 });
    const caeExpires = cae.body.expires_in as number;
    assert.ok(caeExpires >= 20 * HOUR && caeExpires <= 28 * HOUR, String(caeExpires));
    assert.equal(cae.body.refresh_in, Math.floor(caeExpires / 2));
    const claims = decode(cae.body.access_token as string);
    assert.equal((claims.exp as number) - (claims.iat as number), caeExpires);
    // The refreshed token of a cp1 grant is long-lived too (the capability is persisted).
    const refreshed = await refresh(h, cae.body.refresh_token as string);
    assert.ok((refreshed.body.expires_in as number) >= 20 * HOUR);

    const plain = await passwordGrant(h, 'alice');
    const plainExpires = plain.body.expires_in as number;
    assert.ok(plainExpires >= HOUR && plainExpires <= 1.5 * HOUR, String(plainExpires));
    assert.equal(plain.body.refresh_in, undefined);
  });
});

describe('claims parameter: a challenge nbf is not answered by an older SSO session', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  test('nbf after the session started: the sign-in form is shown; prompt=none gets interaction_required', async () => {
    const jar = new CookieJar();
    await signInForCode(h, jar, 'alice@contoso.test');
    const sessionStart = Math.floor(Date.now() / 1000);
    const challenge = (nbf: number) =>
      JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] }, nbf: { essential: true, value: String(nbf) } } });
    const get = (o: Parameters<typeof authorizeUrl>[0]) =>
      h.app.http.inject({ method: 'GET', url: authorizeUrl(o, pkcePair()), headers: { cookie: jar.header() } });

    // Sanity: the session answers silently without a challenge, and with one it already satisfies.
    assert.equal((await get({})).statusCode, 302);
    const older = await get({ extra: { claims: challenge(sessionStart - 60) } });
    assert.equal(older.statusCode, 302);
    assert.ok(new URL(older.headers.location as string).searchParams.get('code'));

    const later = sessionStart + 60;
    const form = await get({ extra: { claims: challenge(later) } });
    assert.equal(form.statusCode, 200, 'the sign-in form, not a code');
    assert.match(form.body, /name="password"/);

    const silent = await get({ prompt: 'none', extra: { claims: challenge(later) } });
    assert.equal(silent.statusCode, 302);
    const loc = new URL(silent.headers.location as string);
    assert.equal(loc.searchParams.get('code'), null);
    assert.equal(loc.searchParams.get('error'), 'interaction_required');
    assert.equal(loc.searchParams.get('error_codes'), '50173');
  });
});
