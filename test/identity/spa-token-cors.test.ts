import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { CookieJar, authorizeUrl, pkcePair, refresh, signIn, signInForCode, tokenRequest } from '../helpers/browser-flow.js';
import { APP, DAEMON_SECRET, REDIRECT, TENANT_ID, WEB_SECRET, makeHarness, type Harness } from '../helpers/harness.js';

/**
 * The token endpoint for single-page apps, as Entra: CORS only for the origins of `spa` redirect
 * URIs, SPA codes and refresh tokens redeemable only cross-origin (AADSTS9002327), an Origin on
 * anything else refused (AADSTS9002326), and SPA refresh tokens ending 24 h after sign-in however
 * often they rotate (AADSTS700084).
 */
const SPA_ORIGIN = new URL(REDIRECT.spa).origin;
const TOKEN = `/${TENANT_ID}/oauth2/v2.0/token`;
const spa: { clientId: string; redirectUri: string } = { clientId: APP.spa, redirectUri: REDIRECT.spa };
const fromSpa = { origin: SPA_ORIGIN };

let h: Harness;
let clock: ManualClock;
before(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
  h = await makeHarness({ clock });
});
after(async () => h.close());

function assertAadsts(res: { status: number; body: Record<string, unknown> }, error: string, code: number) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error, error);
  assert.deepEqual(res.body.error_codes, [code]);
}

async function spaCode() {
  return signInForCode(h, new CookieJar(), 'alice@contoso.test', spa);
}

const redeem = (code: string, verifier: string, headers: Record<string, string>, o = spa) =>
  tokenRequest(
    h,
    { grant_type: 'authorization_code', client_id: o.clientId, code, redirect_uri: o.redirectUri, code_verifier: verifier },
    headers,
  );

describe('token endpoint CORS', () => {
  test('a preflight from a registered spa origin is allowed; from any other origin it is not', async () => {
    const ask = (origin: string) =>
      h.app.http.inject({
        method: 'OPTIONS',
        url: TOKEN,
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const ok = await ask(SPA_ORIGIN);
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.headers['access-control-allow-origin'], SPA_ORIGIN);
    assert.match(String(ok.headers['access-control-allow-methods']), /POST/);
    assert.match(String(ok.headers['access-control-allow-headers']), /content-type/);
    assert.equal(ok.headers.vary, 'Origin');
    // The web app's redirect URI is not `spa`: its origin is not a CORS origin.
    for (const origin of [new URL(REDIRECT.web).origin, 'https://evil.test', 'null']) {
      const no = await ask(origin);
      assert.equal(no.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(no.headers['access-control-allow-methods'], undefined, origin);
    }
  });

  test('a SPA redeems its code and refresh token cross-origin, and may read both answers', async () => {
    const { code, verifier } = await spaCode();
    const first = await redeem(code, verifier, fromSpa);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.headers['access-control-allow-origin'], SPA_ORIGIN);
    assert.match(String(first.headers['access-control-expose-headers']), /client-request-id/);
    const next = await refresh(h, first.body.refresh_token as string, APP.spa, fromSpa);
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal(next.headers['access-control-allow-origin'], SPA_ORIGIN);
  });

  test('an origin the SPA did not register gets no CORS headers (Entra checks the Origin is there, not which)', async () => {
    const { code, verifier } = await spaCode();
    const res = await redeem(code, verifier, { origin: 'https://evil.test' });
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });
});

describe('SPA codes and refresh tokens only cross-origin (AADSTS9002327)', () => {
  test('a SPA code redeemed without Origin is refused and not spent', async () => {
    const { code, verifier } = await spaCode();
    const res = await redeem(code, verifier, {});
    assertAadsts(res, 'invalid_request', 9002327);
    assert.match(
      String(res.body.error_description),
      /^AADSTS9002327: Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests\./,
    );
    assert.equal((await redeem(code, verifier, fromSpa)).status, 200, 'the code is still good');
  });

  test('a SPA refresh token presented without Origin is refused and not consumed', async () => {
    const { tokens } = await signIn(h, 'alice@contoso.test', new CookieJar(), spa, fromSpa);
    assertAadsts(await refresh(h, tokens.refresh_token!, APP.spa), 'invalid_request', 9002327);
    assert.equal((await refresh(h, tokens.refresh_token!, APP.spa, fromSpa)).status, 200);
  });
});

describe('an Origin on a non-SPA redemption (AADSTS9002326)', () => {
  test('a public client code, a web app code and a non-SPA refresh token are refused with the origin named', async () => {
    const jar = new CookieJar();
    const pub = await signInForCode(h, jar, 'bob@contoso.test');
    const res = await redeem(
      pub.code,
      pub.verifier,
      { origin: 'https://app.example' },
      { clientId: APP.publicClient, redirectUri: REDIRECT.publicClient },
    );
    assertAadsts(res, 'invalid_request', 9002326);
    assert.match(
      String(res.body.error_description),
      /^AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type\. Request origin: 'https:\/\/app\.example'\./,
    );
    assert.equal(res.headers['access-control-allow-origin'], undefined);

    const web = await signInForCode(h, jar, 'bob@contoso.test', { clientId: APP.webApp, redirectUri: REDIRECT.web });
    const webRes = await tokenRequest(
      h,
      {
        grant_type: 'authorization_code',
        client_id: APP.webApp,
        client_secret: WEB_SECRET,
        code: web.code,
        redirect_uri: REDIRECT.web,
        code_verifier: web.verifier,
      },
      { origin: new URL(REDIRECT.web).origin },
    );
    assertAadsts(webRes, 'invalid_request', 9002326);

    const { tokens } = await signIn(h, 'bob@contoso.test');
    assertAadsts(await refresh(h, tokens.refresh_token!, APP.publicClient, { origin: 'null' }), 'invalid_request', 9002326);
    assert.equal((await refresh(h, tokens.refresh_token!)).status, 200, 'not consumed by the refused attempt');
  });

  test('client credentials from a browser page are refused before the secret is looked at', async () => {
    const res = await tokenRequest(
      h,
      {
        grant_type: 'client_credentials',
        client_id: APP.daemonNoPerms,
        client_secret: DAEMON_SECRET,
        scope: 'https://graph.microsoft.com/.default',
      },
      { origin: SPA_ORIGIN },
    );
    assertAadsts(res, 'invalid_request', 9002326);
  });
});

describe('SPA refresh-token lifetime (AADSTS700084)', () => {
  test('24 h from the code redemption, not extended by rotation; then 700084, readable by the page', async () => {
    const { tokens } = await signIn(h, 'alice@contoso.test', new CookieJar(), spa, fromSpa);
    clock.advance(23 * 3600_000);
    const r1 = await refresh(h, tokens.refresh_token!, APP.spa, fromSpa);
    assert.equal(r1.status, 200);
    clock.advance(3600_000 - 1000);
    const r2 = await refresh(h, r1.body.refresh_token as string, APP.spa, fromSpa);
    assert.equal(r2.status, 200, 'a second before the end it still works');
    clock.advance(1000);
    const ended = await refresh(h, r2.body.refresh_token as string, APP.spa, fromSpa);
    assertAadsts(ended, 'invalid_grant', 700084);
    assert.equal(ended.body.suberror, undefined, 'a bare invalid_grant: msal-browser renews in its iframe');
    assert.match(
      String(ended.body.error_description),
      /^AADSTS700084: The refresh token was issued to a single page app \(SPA\), and therefore has a fixed, limited lifetime of 1\.00:00:00, which can't be extended\. It is now expired and a new sign in request must be sent by the SPA to the sign in page\. The token was issued on 2026-01-05T09:00:\d\d\.\d{3}Z\./,
    );
    assert.equal(ended.headers['access-control-allow-origin'], SPA_ORIGIN);
  });

  test('a public client refresh token still slides past 24 h', async () => {
    const { tokens } = await signIn(h, 'bob@contoso.test');
    clock.advance(25 * 3600_000);
    assert.equal((await refresh(h, tokens.refresh_token!)).status, 200);
  });

  test('a SPA grant is revoked like any other: 50173 after revokeSignInSessions', async () => {
    const { tokens } = await signIn(h, 'bob@contoso.test', new CookieJar(), spa, fromSpa);
    await revokeUserSessions(h.store, h.clock, { target: h.users.bob!, actor: {}, correlationId: 'test' });
    const res = await refresh(h, tokens.refresh_token!, APP.spa, fromSpa);
    assertAadsts(res, 'invalid_grant', 50173);
    assert.equal(res.headers['access-control-allow-origin'], SPA_ORIGIN);
  });
});

describe('prompt=none (ssoSilent) for a SPA, in the response modes MSAL Browser uses', () => {
  test('with the session cookie a code comes back; after a revoke login_required (AADSTS50058), in the fragment or the query', async () => {
    const jar = new CookieJar();
    await signInForCode(h, jar, 'passwordadmin@contoso.test', spa);
    const silent = (responseMode: string) =>
      h.app.http.inject({
        method: 'GET',
        url: authorizeUrl({ ...spa, prompt: 'none', responseMode }, pkcePair()),
        headers: { cookie: jar.header() },
      });
    const params = (res: Awaited<ReturnType<typeof silent>>, responseMode: string) => {
      assert.equal(res.statusCode, 302, res.body);
      const location = new URL(res.headers.location as string);
      assert.equal(location.origin + location.pathname, REDIRECT.spa);
      return responseMode === 'fragment' ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
    };
    for (const mode of ['fragment', 'query']) assert.ok(params(await silent(mode), mode).get('code'), mode);
    await revokeUserSessions(h.store, h.clock, { target: h.users.passwordadmin!, actor: {}, correlationId: 'test' });
    for (const mode of ['fragment', 'query']) {
      const p = params(await silent(mode), mode);
      // msal-browser raises InteractionRequiredAuthError for login_required.
      assert.equal(p.get('error'), 'login_required', mode);
      assert.equal(p.get('error_codes'), '50058', mode);
      assert.match(p.get('error_description') ?? '', /^AADSTS50058: /, mode);
      assert.equal(p.get('code'), null, mode);
    }
  });
});
