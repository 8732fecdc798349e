import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { CookieJar, signIn } from '../helpers/browser-flow.js';
import { APP, TENANT_ID, appToken, type Harness } from '../helpers/harness.js';
import { listeningHarness } from '../helpers/listening.js';

/**
 * The userinfo endpoint discovery advertises (hosted with the Graph API, as Microsoft hosts it),
 * read with openid-client's fetchUserInfo over a real socket; and the CORS answers a page gets
 * from the Graph API, userinfo, discovery and the JWKS.
 */
let h: Harness & { url: string };
let config: client.Configuration;
before(async () => {
  h = await listeningHarness();
  config = await client.discovery(new URL(`${h.url}/${TENANT_ID}/v2.0`), APP.publicClient, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
});
after(async () => h.close());

const idSub = (idToken: string) => JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()).sub as string;

async function wwwAuthenticateOf(p: Promise<unknown>): Promise<{ status: number; header: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { status?: number; cause?: Response; response?: Response };
    const res = err.response ?? err.cause;
    return { status: res?.status ?? err.status ?? 0, header: res?.headers.get('www-authenticate') ?? '' };
  }
  throw new Error('expected the userinfo request to fail');
}

describe('userinfo', () => {
  test('discovery names it, and fetchUserInfo gets the ID token’s sub, name and email', async () => {
    assert.equal(config.serverMetadata().userinfo_endpoint, `${h.url}/oidc/userinfo`);
    const { tokens } = await signIn(h, 'alice@contoso.test', new CookieJar(), { scope: 'openid profile email offline_access User.Read' });
    const sub = idSub(tokens.id_token!);
    const info = await client.fetchUserInfo(config, tokens.access_token!, sub);
    assert.deepEqual(info, { sub, name: 'Alice', email: 'alice@contoso.test' });
    // POST answers the same (https://learn.microsoft.com/entra/identity-platform/userinfo).
    const posted = await fetch(`${h.url}/oidc/userinfo`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.deepEqual(await posted.json(), info);
  });

  test('without profile or email only sub; without openid 403 insufficient_scope; an app token 401', async () => {
    const { tokens } = await signIn(h, 'bob@contoso.test', new CookieJar(), { scope: 'openid User.Read' });
    assert.deepEqual(await client.fetchUserInfo(config, tokens.access_token!, idSub(tokens.id_token!)), { sub: idSub(tokens.id_token!) });
    const noOpenid = await signIn(h, 'bob@contoso.test', new CookieJar(), { scope: 'offline_access User.Read' });
    const res = await fetch(`${h.url}/oidc/userinfo`, { headers: { authorization: `Bearer ${noOpenid.tokens.access_token}` } });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="openid"/);
    const app = await fetch(`${h.url}/oidc/userinfo`, { headers: { authorization: `Bearer ${appToken(h, ['User.Read.All'])}` } });
    assert.equal(app.status, 401);
    assert.match(app.headers.get('www-authenticate') ?? '', /^Bearer /);
  });

  test('a missing, forged, expired or revoked user’s token gets 401 with a Bearer challenge and Graph’s error body', async () => {
    const anonymous = await fetch(`${h.url}/oidc/userinfo`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm="", authorization_uri=/);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'InvalidAuthenticationToken');

    const { tokens } = await signIn(h, 'helpdesk@contoso.test', new CookieJar(), { scope: 'openid profile User.Read' });
    const [head, payload, sig] = tokens.access_token!.split('.');
    const forged = `${head}.${payload}.${sig!.slice(0, -4)}AAAA`;
    const bad = await wwwAuthenticateOf(client.fetchUserInfo(config, forged, client.skipSubjectCheck));
    assert.equal(bad.status, 401);

    // The same claims, signed by Portcullis's own key, but expired.
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, number>;
    const past = Math.floor(Date.now() / 1000) - 7200;
    const expired = h.app.services.keys.sign({ ...claims, iat: past, nbf: past, exp: past + 3600 });
    const late = await fetch(`${h.url}/oidc/userinfo`, { headers: { authorization: `Bearer ${expired}` } });
    assert.equal(late.status, 401);
    assert.match(late.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.match(((await late.json()) as { error: { message: string } }).error.message, /expired/);

    assert.ok(await client.fetchUserInfo(config, tokens.access_token!, idSub(tokens.id_token!)));
    await revokeUserSessions(h.store, h.clock, { target: h.users.helpdesk!, actor: {}, correlationId: 'test' });
    const revoked = await wwwAuthenticateOf(client.fetchUserInfo(config, tokens.access_token!, idSub(tokens.id_token!)));
    assert.equal(revoked.status, 401, 'I6: refused at once, not at expiry');
    assert.match(revoked.header, /^Bearer /);
  });
});

describe('CORS for pages', () => {
  const page = 'https://spa.example';

  test('Graph: a preflight from any origin is answered before authentication; answers, errors too, carry ACAO *', async () => {
    const pre = await fetch(`${h.url}/v1.0/me`, {
      method: 'OPTIONS',
      headers: { origin: page, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,consistencylevel' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization.*consistencylevel/);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /PATCH/);
    const { tokens } = await signIn(h, 'alice@contoso.test');
    const me = await fetch(`${h.url}/v1.0/me`, { headers: { origin: page, authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.status, 200);
    assert.equal(me.headers.get('access-control-allow-origin'), '*');
    assert.match(me.headers.get('access-control-expose-headers') ?? '', /www-authenticate/);
    const denied = await fetch(`${h.url}/beta/me`, { headers: { origin: page } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), '*', 'the page can read the 401 and its challenge');
    const userinfo = await fetch(`${h.url}/oidc/userinfo`, {
      method: 'OPTIONS',
      headers: { origin: page, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(userinfo.headers.get('access-control-allow-origin'), '*');
    // A request that is not cross-origin gets none of it.
    assert.equal(
      (await fetch(`${h.url}/v1.0/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).headers.get(
        'access-control-allow-origin',
      ),
      null,
    );
  });

  test('discovery and JWKS: readable by any page, preflight included', async () => {
    for (const path of [`/${TENANT_ID}/v2.0/.well-known/openid-configuration`, `/${TENANT_ID}/discovery/v2.0/keys`]) {
      const res = await fetch(`${h.url}${path}`, { headers: { origin: page } });
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
      const pre = await fetch(`${h.url}${path}`, { method: 'OPTIONS', headers: { origin: page, 'access-control-request-method': 'GET' } });
      assert.equal(pre.status, 204, path);
      assert.equal(pre.headers.get('access-control-allow-origin'), '*', path);
    }
  });
});
