import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { CookieJar, authorizeUrl, hiddenField, pkcePair, signInForCode } from '../helpers/browser-flow.js';
import { APP, PASSWORD, REDIRECT, TENANT_ID, makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
before(async () => {
  h = await makeHarness();
});
after(async () => h.close());

const get = (url: string, jar?: CookieJar) => h.app.http.inject({ method: 'GET', url, headers: jar ? { cookie: jar.header() } : {} });

describe('discovery and keys', () => {
  test('the openid-configuration is Entra-shaped and points at this server', async () => {
    const res = await get(`/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.statusCode, 200);
    const d = res.json();
    const base = `https://login.portcullis.test/${TENANT_ID}`;
    assert.equal(d.issuer, `${base}/v2.0`);
    assert.equal(d.authorization_endpoint, `${base}/oauth2/v2.0/authorize`);
    assert.equal(d.token_endpoint, `${base}/oauth2/v2.0/token`);
    assert.equal(d.device_authorization_endpoint, `${base}/oauth2/v2.0/devicecode`);
    assert.equal(d.end_session_endpoint, `${base}/oauth2/v2.0/logout`);
    assert.equal(d.jwks_uri, `${base}/discovery/v2.0/keys`);
    assert.deepEqual(d.id_token_signing_alg_values_supported, ['RS256']);
    assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const common = (await get('/common/v2.0/.well-known/openid-configuration')).json();
    assert.equal(common.issuer, 'https://login.portcullis.test/{tenantid}/v2.0');
    assert.equal((await get('/contoso.test/v2.0/.well-known/openid-configuration')).json().issuer, d.issuer);
    assert.equal((await get('/fabrikam.test/v2.0/.well-known/openid-configuration')).statusCode, 400);
  });

  test('the JWKS publishes the RS256 signing key', async () => {
    const { keys } = (await get(`/${TENANT_ID}/discovery/v2.0/keys`)).json();
    assert.equal(keys.length, 1);
    assert.equal(keys[0].kty, 'RSA');
    assert.equal(keys[0].alg, 'RS256');
    assert.equal(keys[0].use, 'sig');
    assert.ok(keys[0].kid && keys[0].n && keys[0].e);
    assert.equal(keys[0].d, undefined, 'no private part');
  });
});

describe('authorize: errors before the redirect URI is trusted are shown, never redirected', () => {
  test('unknown client, malformed client id, unregistered redirect URI', async () => {
    const pkce = pkcePair();
    for (const [o, code] of [
      [{ clientId: '00000000-0000-4000-8000-00000000dead' }, 700016],
      [{ clientId: 'nope' }, 700038],
      [{ redirectUri: 'https://evil.test/callback' }, 50011],
      [{ redirectUri: 'http://localhost/callback/../x' }, 50011],
      [{ redirectUri: 'HTTP://LOCALHOST/callback' }, 50011],
    ] as const) {
      const res = await get(authorizeUrl(o, pkce));
      assert.equal(res.statusCode, 400, JSON.stringify(o));
      assert.equal(res.headers.location, undefined);
      assert.match(res.body, new RegExp(`AADSTS${code}`));
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
    }
  });

  test('a fragment in a loopback redirect URI: AADSTS50011 on a page, never redirected (RFC 6749 §3.1.2)', async () => {
    const pkce = pkcePair();
    for (const redirectUri of [
      'http://localhost:43117#frag',
      'http://localhost:43117/#',
      'http://localhost#x',
      `${REDIRECT.publicClient}#x`,
    ]) {
      const res = await get(authorizeUrl({ redirectUri }, pkce));
      assert.equal(res.statusCode, 400, redirectUri);
      assert.equal(res.headers.location, undefined, redirectUri);
      assert.match(res.body, /AADSTS50011/, redirectUri);
    }
  });

  test('a loopback redirect with another port is accepted for public clients (RFC 8252 §7.3)', async () => {
    const { location } = await signInForCode(h, new CookieJar(), 'alice@contoso.test', { redirectUri: 'http://localhost:43117' });
    assert.equal(location.port, '43117');
  });
});

describe('authorize: errors after validation go back to the client', () => {
  const pkce = pkcePair();
  const errorOf = async (o: Parameters<typeof authorizeUrl>[0]) => {
    const res = await get(authorizeUrl(o, pkce));
    assert.equal(res.statusCode, 302, res.body.slice(0, 200));
    const loc = new URL(res.headers.location as string);
    assert.equal(loc.origin + loc.pathname, REDIRECT.publicClient);
    assert.equal(loc.searchParams.get('state'), 'st-1');
    return loc.searchParams;
  };
  test('PKCE is required for public clients and must be S256', async () => {
    assert.equal((await errorOf({ challenge: null })).get('error'), 'invalid_request');
    const plain = await errorOf({ challenge: null, extra: { code_challenge: pkce.challenge, code_challenge_method: 'plain' } });
    assert.equal(plain.get('error'), 'invalid_request');
  });
  test('unknown scopes, unconsented permissions, unknown resources, bad prompt and response types', async () => {
    assert.equal((await errorOf({ scope: 'openid Nope.Nope' })).get('error'), 'invalid_scope');
    assert.equal((await errorOf({ scope: 'https://evil.test/User.Read' })).get('error'), 'invalid_resource');
    assert.equal((await errorOf({ prompt: 'sometimes' })).get('error'), 'invalid_request');
    assert.equal((await errorOf({ extra: { response_type: 'token' } })).get('error'), 'unsupported_response_type');
    const h2 = await makeHarness();
    try {
      // The daemon app holds no delegated consent: asking for one is consent_required territory.
      const res = await h2.app.http.inject({
        method: 'GET',
        url: authorizeUrl({ clientId: APP.webApp, redirectUri: REDIRECT.web, scope: 'openid Directory.Read.All', challenge: null }, pkce),
      });
      const loc = new URL(res.headers.location as string);
      assert.equal(loc.searchParams.get('error'), 'invalid_grant');
      assert.match(loc.searchParams.get('error_description') ?? '', /AADSTS65001/);
    } finally {
      await h2.close();
    }
  });
  test('prompt=none without a session answers login_required', async () => {
    assert.equal((await errorOf({ prompt: 'none' })).get('error'), 'login_required');
  });
});

describe('authorize: the sign-in form and the SSO session', () => {
  test('the form works without JavaScript, sets a hardened session cookie and redirects with the code', async () => {
    const jar = new CookieJar();
    const pkce = pkcePair();
    const page = await get(authorizeUrl({}, pkce), jar);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<form method="post"/);
    assert.match(page.body, /name="username"/);
    assert.match(page.body, /name="password"/);
    assert.doesNotMatch(page.body, /<script/);
    jar.absorb(page.headers['set-cookie']);
    const posted = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/authorize`,
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        csrf: hiddenField(page.body, 'csrf'),
        authorize_request: hiddenField(page.body, 'authorize_request'),
        username: 'ALICE@contoso.test',
        password: PASSWORD,
      }).toString(),
    });
    assert.equal(posted.statusCode, 302);
    const cookie = ([] as string[]).concat(posted.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-portcullis_sso='));
    assert.ok(cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /SameSite=Lax/);
    const loc = new URL(posted.headers.location as string);
    assert.ok(loc.searchParams.get('code'));
    assert.equal(loc.searchParams.get('state'), 'st-1');
  });

  test('a wrong password shows the form again with an error; a missing CSRF token is refused', async () => {
    const jar = new CookieJar();
    const page = await get(authorizeUrl({}, pkcePair()), jar);
    jar.absorb(page.headers['set-cookie']);
    const post = (fields: Record<string, string>) =>
      h.app.http.inject({
        method: 'POST',
        url: `/${TENANT_ID}/oauth2/v2.0/authorize`,
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          authorize_request: hiddenField(page.body, 'authorize_request'),
          username: 'alice@contoso.test',
          ...fields,
        }).toString(),
      });
    const wrong = await post({ csrf: hiddenField(page.body, 'csrf'), password: 'nope' });
    assert.equal(wrong.statusCode, 200);
    assert.match(wrong.body, /Your account or password is incorrect/);
    assert.equal(wrong.headers.location, undefined);
    const noCsrf = await post({ password: PASSWORD });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.headers.location, undefined);
    const disabled = await post({ csrf: hiddenField(page.body, 'csrf'), password: PASSWORD, username: 'disabled@contoso.test' });
    assert.match(disabled.body, /locked/);
  });

  test('the session signs in silently; after a revoke the old cookie shows the form and prompt=none is login_required', async () => {
    const jar = new CookieJar();
    await signInForCode(h, jar, 'bob@contoso.test');
    const pkce = pkcePair();
    const silent = await get(authorizeUrl({ prompt: 'none' }, pkce), jar);
    assert.equal(silent.statusCode, 302);
    assert.ok(new URL(silent.headers.location as string).searchParams.get('code'));
    const again = await get(authorizeUrl({}, pkce), jar);
    assert.equal(again.statusCode, 302, 'no form while the session lives');
    const forced = await get(authorizeUrl({ prompt: 'login' }, pkce), jar);
    assert.equal(forced.statusCode, 200, 'prompt=login shows the form');

    await revokeUserSessions(h.store, h.clock, { target: h.users.bob!, actor: {}, correlationId: 't' });
    const after = await get(authorizeUrl({}, pkce), jar);
    assert.equal(after.statusCode, 200);
    assert.match(after.body, /name="password"/);
    const none = await get(authorizeUrl({ prompt: 'none' }, pkce), jar);
    assert.equal(new URL(none.headers.location as string).searchParams.get('error'), 'login_required');
  });

  test('a code issued from a session before a revoke is dead too', async () => {
    const jar = new CookieJar();
    const { code, verifier } = await signInForCode(h, jar, 'useradmin@contoso.test');
    await revokeUserSessions(h.store, h.clock, { target: h.users.useradmin!, actor: {}, correlationId: 't' });
    const res = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: APP.publicClient,
        code,
        redirect_uri: REDIRECT.publicClient,
        code_verifier: verifier,
      }).toString(),
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().error_codes, [50173]);
  });

  test('response_mode=form_post answers with a self-posting form to the redirect URI only', async () => {
    const jar = new CookieJar();
    await signInForCode(h, jar, 'alice@contoso.test');
    const res = await get(authorizeUrl({ responseMode: 'form_post' }, pkcePair()), jar);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<form method="post" action="http:\/\/localhost\/callback">/);
    assert.match(res.body, /name="code"/);
    assert.match(String(res.headers['content-security-policy']), /form-action 'self' http:\/\/localhost/);
  });

  test('logout ends the session and redirects only to a registered URI', async () => {
    const jar = new CookieJar();
    await signInForCode(h, jar, 'alice@contoso.test');
    const evil = await get(
      `/${TENANT_ID}/oauth2/v2.0/logout?client_id=${APP.publicClient}&post_logout_redirect_uri=${encodeURIComponent('https://evil.test/')}`,
      jar,
    );
    assert.equal(evil.statusCode, 200);
    assert.equal(evil.headers.location, undefined);
    const jar2 = new CookieJar();
    await signInForCode(h, jar2, 'alice@contoso.test');
    const ok = await get(
      `/${TENANT_ID}/oauth2/v2.0/logout?client_id=${APP.publicClient}&post_logout_redirect_uri=${encodeURIComponent(REDIRECT.publicClient)}&state=s`,
      jar2,
    );
    assert.equal(ok.statusCode, 302);
    assert.equal(ok.headers.location, `${REDIRECT.publicClient}?state=s`);
    const none = await get(authorizeUrl({ prompt: 'none' }, pkcePair()), jar2);
    assert.equal(new URL(none.headers.location as string).searchParams.get('error'), 'login_required');
  });

  test('logout under an unknown tenant is a "Sign-out failed" page and leaves the session alone', async () => {
    const jar = new CookieJar();
    await signInForCode(h, jar, 'alice@contoso.test');
    const res = await get('/no-such-tenant.test/oauth2/v2.0/logout', jar);
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /Sign-out failed/);
    const silent = await get(authorizeUrl({ prompt: 'none' }, pkcePair()), jar);
    assert.ok(new URL(silent.headers.location as string).searchParams.get('code'), 'the SSO session still works');
  });
});
