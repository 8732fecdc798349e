import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSigningKey, loadKey, signJwt } from '../../src/crypto/jwt.js';
import { tokenRequest } from '../helpers/browser-flow.js';
import {
  APP,
  DAEMON_SECRET,
  ManualClock,
  PASSWORD,
  TENANT_ID,
  WEB_SECRET,
  appToken,
  makeHarness,
  type Harness,
} from '../helpers/harness.js';
import { call } from '../graph/graph-helpers.js';
import { respelledSignatures, signUntilRespellable } from '../helpers/respelled-jws.js';

/**
 * RFC 7009 token revocation and RFC 7662 token introspection (docs/identity-endpoints.md), through
 * the real app: refresh-token families, access tokens of a revoked grant refused by the Graph API
 * (I6), client authentication, and `{"active":false}` for everything not active.
 */
const CP1 = JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] } } });
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

describe('RFC 7009 revocation and RFC 7662 introspection', () => {
  let h: Harness;
  const clock = new ManualClock(Date.now());
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(() => h.close());

  const post = async (endpoint: 'revoke' | 'introspect', form: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/${endpoint}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(form).toString(),
    });
    return {
      status: res.statusCode,
      body: res.body,
      json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null,
      headers: res.headers,
    };
  };
  const revoke = (form: Record<string, string>, headers?: Record<string, string>) => post('revoke', form, headers);
  /** Introspection as the confidential web app (client_secret_basic). */
  const introspect = async (token: string, hint?: string) => {
    const res = await post('introspect', { token, ...(hint ? { token_type_hint: hint } : {}) }, basic(APP.webApp, WEB_SECRET));
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    return res.json!;
  };

  /** Password grant for a user through `clientId` (the web app proves its secret). */
  async function signIn(user: string, clientId: string = APP.publicClient, claims?: string) {
    const res = await tokenRequest(h, {
      grant_type: 'password',
      client_id: clientId,
      ...(clientId === APP.webApp ? { client_secret: WEB_SECRET } : {}),
      username: `${user}@contoso.test`,
      password: PASSWORD,
      scope: 'openid offline_access User.Read',
      ...(claims ? { claims } : {}),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return { at: res.body.access_token as string, rt: res.body.refresh_token as string };
  }
  const refresh = (rt: string, clientId: string = APP.publicClient) =>
    tokenRequest(h, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: rt,
      ...(clientId === APP.webApp ? { client_secret: WEB_SECRET } : {}),
    });
  const me = (token: string) => call(h, 'GET', '/v1.0/me', { token });

  test('discovery advertises both endpoints and their client authentication methods', async () => {
    const d = (await h.app.http.inject({ method: 'GET', url: `/${TENANT_ID}/v2.0/.well-known/openid-configuration` })).json();
    assert.equal(d.revocation_endpoint, `https://login.portcullis.test/${TENANT_ID}/oauth2/v2.0/revoke`);
    assert.equal(d.introspection_endpoint, `https://login.portcullis.test/${TENANT_ID}/oauth2/v2.0/introspect`);
    assert.deepEqual(d.revocation_endpoint_auth_methods_supported, ['client_secret_post', 'client_secret_basic', 'none']);
    assert.deepEqual(d.introspection_endpoint_auth_methods_supported, ['client_secret_post', 'client_secret_basic']);
  });

  test('a public client revokes its refresh token with client_id: the whole family and its access tokens die', async () => {
    const first = await signIn('alice');
    const r1 = await refresh(first.rt);
    assert.equal(r1.status, 200);
    const second = { at: r1.body.access_token as string, rt: r1.body.refresh_token as string };
    assert.equal((await me(second.at)).status, 200);
    assert.equal((await introspect(second.rt, 'refresh_token')).active, false, 'the web app may not see the public client’s refresh token');

    const res = await revoke({ client_id: APP.publicClient, token: second.rt, token_type_hint: 'refresh_token' });
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    assert.equal(res.headers['cache-control'], 'no-store');

    const dead = await refresh(second.rt);
    assert.equal(dead.status, 400);
    assert.equal(dead.body.error, 'invalid_grant');
    assert.deepEqual(dead.body.error_codes, [50173]);
    // Both access tokens of the grant, the first one included, are refused at once by Graph.
    for (const at of [first.at, second.at]) {
      const refused = await me(at);
      assert.equal(refused.status, 401);
      assert.equal(refused.json.error.code, 'InvalidAuthenticationToken');
      assert.match(refused.json.error.message, /grant the token was issued from has been revoked/);
      assert.equal((await introspect(at)).active, false);
    }
    // Another grant of the same user is untouched.
    const other = await signIn('alice');
    assert.equal((await me(other.at)).status, 200);
    assert.equal((await refresh(other.rt)).status, 200);
  });

  test('a cp1 token of a revoked grant gets the CAE claims challenge with the revoke time', async () => {
    const s = await signIn('bob', APP.publicClient, CP1);
    clock.advance(2000);
    assert.equal((await revoke({ client_id: APP.publicClient, token: s.rt })).status, 200);
    const refused = await me(s.at);
    assert.equal(refused.status, 401);
    const header = String(refused.headers['www-authenticate']);
    const m = /error="insufficient_claims", claims="([^"]+)"$/.exec(header);
    assert.ok(m, header);
    assert.deepEqual(JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')), {
      access_token: { nbf: { essential: true, value: String(Math.floor(clock.now() / 1000)) } },
    });
  });

  test('revoking a user access token revokes its grant (and so its refresh tokens); token_type_hint is only a hint', async () => {
    const s = await signIn('alice', APP.webApp);
    // Wrong hint: the server still finds the access token.
    const res = await revoke({ token: s.at, token_type_hint: 'refresh_token' }, basic(APP.webApp, WEB_SECRET));
    assert.equal(res.status, 200);
    assert.equal((await me(s.at)).status, 401);
    const dead = await refresh(s.rt, APP.webApp);
    assert.equal(dead.status, 400);
    assert.deepEqual(dead.body.error_codes, [50173]);
  });

  test('other clients’ tokens, unknown and malformed tokens: 200 and nothing changes (RFC 7009 §2.2)', async () => {
    const s = await signIn('alice');
    for (const token of [s.rt, s.at]) {
      const res = await revoke({ client_id: APP.webApp, client_secret: WEB_SECRET, token });
      assert.equal(res.status, 200, res.body);
    }
    for (const token of ['nope', 'a.b.c', 'x'.repeat(300)])
      assert.equal((await revoke({ client_id: APP.publicClient, token })).status, 200);
    assert.equal((await me(s.at)).status, 200, 'the access token still works');
    assert.equal((await refresh(s.rt)).status, 200, 'the refresh token still works');
  });

  test('client authentication as at /token; app-only tokens cannot be revoked (unsupported_token_type)', async () => {
    const s = await signIn('alice', APP.webApp);
    const noSecret = await revoke({ client_id: APP.webApp, token: s.rt });
    assert.equal(noSecret.status, 401);
    assert.equal(noSecret.json!.error, 'invalid_client');
    const badSecret = await revoke({ client_id: APP.webApp, client_secret: 'wrong', token: s.rt });
    assert.equal(badSecret.status, 401);
    assert.equal(badSecret.json!.error, 'invalid_client');
    const noToken = await revoke({ client_id: APP.publicClient });
    assert.equal(noToken.status, 400);
    assert.equal(noToken.json!.error, 'invalid_request');
    const json = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/revoke`,
      payload: { token: 'x', client_id: APP.publicClient },
    });
    assert.equal(json.statusCode, 400);
    assert.equal((await refresh(s.rt, APP.webApp)).status, 200, 'failed requests revoked nothing');

    const daemonToken = appToken(h, ['User.Read.All'], APP.daemonNoPerms);
    const unsupported = await revoke({ client_id: APP.daemonNoPerms, client_secret: DAEMON_SECRET, token: daemonToken });
    assert.equal(unsupported.status, 400);
    assert.equal(unsupported.json!.error, 'unsupported_token_type');
    // Someone else's app-only token: nothing to say (200).
    assert.equal((await revoke({ client_id: APP.publicClient, token: daemonToken })).status, 200);
  });

  test('introspection: RFC 7662 §2.2 members for active tokens', async () => {
    const s = await signIn('alice', APP.webApp);
    const at = await introspect(s.at);
    assert.equal(at.active, true);
    assert.equal(at.token_type, 'Bearer');
    assert.equal(at.client_id, APP.webApp);
    assert.equal(at.username, 'alice@contoso.test');
    assert.equal(at.scope, 'User.Read openid', 'the scp claim: Graph permissions and the OIDC scopes granted');
    assert.equal(at.iss, `https://login.portcullis.test/${TENANT_ID}/v2.0`);
    assert.equal(at.aud, '00000003-0000-0000-c000-000000000000');
    assert.equal(at.oid, h.users.alice!.id);
    for (const n of ['exp', 'iat', 'nbf']) assert.equal(typeof at[n], 'number', n);
    assert.equal(typeof at.sub, 'string');
    assert.equal(typeof at.jti, 'string');

    const rt = await introspect(s.rt);
    assert.equal(rt.active, true);
    assert.equal(rt.client_id, APP.webApp);
    assert.equal(rt.username, 'alice@contoso.test');
    assert.match(String(rt.scope), /offline_access/);
    assert.ok((rt.exp as number) > clock.now() / 1000);

    const app = await introspect(appToken(h, ['User.Read.All']));
    assert.equal(app.active, true);
    assert.deepEqual(app.roles, ['User.Read.All']);
    assert.equal(app.username, undefined);
  });

  test('introspection: {"active":false} for revoked users, consumed, expired, unknown and foreign tokens', async () => {
    const inactive = async (token: string) => assert.deepEqual(await introspect(token), { active: false }, token.slice(0, 20));
    // Consumed (rotated) refresh token.
    const rotated = await signIn('bob', APP.webApp);
    assert.equal((await refresh(rotated.rt, APP.webApp)).status, 200);
    await inactive(rotated.rt);
    // The user's sessions revoked: both tokens of a live grant.
    const s = await signIn('bob', APP.webApp);
    clock.advance(1000);
    const admin = appToken(h, ['User.RevokeSessions.All']);
    assert.equal((await call(h, 'POST', `/v1.0/users/${h.users.bob!.id}/revokeSignInSessions`, { token: admin })).status, 200);
    await inactive(s.at);
    await inactive(s.rt);
    // Expired access token.
    const later = await signIn('alice', APP.webApp);
    clock.advance(2 * 3600 * 1000);
    try {
      await inactive(later.at);
      assert.equal((await introspect(later.rt)).active, true, 'the refresh token outlives it');
    } finally {
      clock.advance(-2 * 3600 * 1000);
    }
    // Unknown, malformed, another issuer's key, another tenant's claims.
    await inactive('unknown-token');
    await inactive('a.b.c');
    const claims = JSON.parse(Buffer.from(later.at.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    await inactive(signJwt(loadKey(generateSigningKey(clock.now())), claims));
    await inactive(h.app.services.keys.sign({ ...claims, tid: '11111111-2222-4333-8444-555555555555' }));
    // An ID token is not an access token.
    const withId = await tokenRequest(h, {
      grant_type: 'password',
      client_id: APP.webApp,
      client_secret: WEB_SECRET,
      username: 'alice@contoso.test',
      password: PASSWORD,
      scope: 'openid User.Read',
    });
    await inactive(withId.body.id_token as string);
  });

  test('a non-canonical base64url signature: introspection says active:false, revocation changes nothing', async () => {
    const s = await signIn('helpdesk', APP.webApp);
    let rt = s.rt;
    const claims = JSON.parse(Buffer.from(s.at.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const token = signUntilRespellable((c) => h.app.services.keys.sign(c), claims);
    assert.equal((await introspect(token)).active, true, 'the canonical spelling is active');
    for (const [name, respelled] of Object.entries(respelledSignatures(token))) {
      assert.deepEqual(await introspect(respelled), { active: false }, name);
      assert.deepEqual(await introspect(respelled, 'access_token'), { active: false }, name);
      const res = await revoke({ token: respelled, token_type_hint: 'access_token' }, basic(APP.webApp, WEB_SECRET));
      assert.equal(res.status, 200, res.body);
      assert.equal((await me(token)).status, 200, `${name}: the grant is not revoked`);
      const refreshed = await refresh(rt, APP.webApp);
      assert.equal(refreshed.status, 200, `${name}: the refresh token still works`);
      rt = refreshed.body.refresh_token as string;
    }
  });

  test('introspection needs an authenticated confidential client', async () => {
    const s = await signIn('alice');
    const asPublic = await post('introspect', { client_id: APP.publicClient, token: s.at });
    assert.equal(asPublic.status, 401);
    assert.equal(asPublic.json!.error, 'invalid_client');
    const wrong = await post('introspect', { token: s.at }, basic(APP.webApp, 'wrong'));
    assert.equal(wrong.status, 401);
    const anonymous = await post('introspect', { token: s.at });
    assert.equal(anonymous.status, 400);
    assert.equal(anonymous.json!.error, 'invalid_request');
  });
});
