/**
 * The on-behalf-of grant (docs/your-app.md, "On-behalf-of from your API to Graph"): an API that
 * received a user's token exchanges it for Graph or another API, Entra's errors, and the chain's
 * death with the user's sessions (I6).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { tokenRequest } from '../helpers/browser-flow.js';
import { API, API_SECRET, registerApis } from '../helpers/api-apps.js';
import { APP, PASSWORD, WEB_SECRET, makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
before(async () => {
  h = await makeHarness();
  await registerApis(h.store);
});
after(async () => h.close());

const decode = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
const OBO = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The user's token for the API, as the API receives it from its client. */
async function userTokenForApi(user: string, scope = `${API.v1Uri}/access_as_user`, extra: Record<string, string> = {}) {
  const res = await tokenRequest(h, {
    grant_type: 'password',
    client_id: APP.publicClient,
    username: `${user}@contoso.test`,
    password: PASSWORD,
    scope,
    ...extra,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Record<string, string>;
}

const exchange = (assertion: string, scope: string, client: { id: string; secret?: string } = { id: API.v1, secret: API_SECRET }) =>
  tokenRequest(h, {
    grant_type: OBO,
    client_id: client.id,
    ...(client.secret ? { client_secret: client.secret } : {}),
    assertion,
    scope,
    requested_token_use: 'on_behalf_of',
  });

function assertEntraError(res: { status: number; body: Record<string, unknown> }, status: number, error: string, code: number) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error);
  assert.deepEqual(res.body.error_codes, [code]);
}

const me = (token: string) => h.app.http.inject({ method: 'GET', url: '/v1.0/me', headers: { authorization: `Bearer ${token}` } });

describe('on-behalf-of', () => {
  test('the API exchanges the user’s token for Graph: the middle tier is azp, the user and epoch carry over', async () => {
    const incoming = (await userTokenForApi('alice')).access_token!;
    const res = await exchange(incoming, 'https://graph.microsoft.com/User.Read offline_access');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(typeof res.body.refresh_token, 'string', 'offline_access asked: a refresh token');
    const at = decode(String(res.body.access_token));
    assert.equal(at.aud, '00000003-0000-0000-c000-000000000000');
    assert.equal(at.azp, API.v1);
    assert.equal(at.azpacr, '1');
    assert.equal(at.oid, h.users.alice!.id);
    assert.equal(at.scp, 'User.Read');
    assert.equal(at.pc_epoch, decode(incoming).pc_epoch);
    assert.equal((await me(String(res.body.access_token))).statusCode, 200);

    const noOffline = await exchange(incoming, 'https://graph.microsoft.com/User.Read');
    assert.equal(noOffline.status, 200, JSON.stringify(noOffline.body));
    assert.equal(noOffline.body.refresh_token, undefined, 'a refresh token only with offline_access');
  });

  test('to another API: a token in that API’s shape, for the middle tier', async () => {
    const incoming = (await userTokenForApi('alice')).access_token!;
    const res = await exchange(incoming, `${API.v2Uri}/Orders.Read`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const at = decode(String(res.body.access_token));
    assert.equal(at.aud, API.v2);
    assert.equal(at.azp, API.v1);
    assert.equal(at.scp, 'Orders.Read');
  });

  test('errors: audience, expiry, app-only, ID token, garbage, consent, public client, requested_token_use', async () => {
    const incoming = (await userTokenForApi('alice')).access_token!;
    const graphToken = (await userTokenForApi('alice', 'User.Read')).access_token!;
    const audience = await exchange(graphToken, 'User.Read');
    assertEntraError(audience, 400, 'invalid_grant', 50013);
    assert.match(String(audience.body.error_description), /Assertion audience does not match the Client app presenting the assertion/);

    const expiredClaims = { ...decode(incoming), exp: Math.floor(Date.now() / 1000) - 60 };
    assertEntraError(await exchange(h.app.services.keys.sign(expiredClaims), 'User.Read'), 400, 'invalid_grant', 500133);

    const appOnly = await tokenRequest(h, {
      grant_type: 'client_credentials',
      client_id: APP.webApp,
      client_secret: WEB_SECRET,
      scope: `${API.v1Uri}/.default`,
    });
    assertEntraError(await exchange(String(appOnly.body.access_token), 'User.Read'), 400, 'unauthorized_client', 7000114);

    const idToken = (await userTokenForApi('alice', 'openid User.Read')).id_token!;
    assertEntraError(await exchange(idToken, 'User.Read'), 400, 'invalid_grant', 240002);
    assertEntraError(await exchange('not.a.token', 'User.Read'), 400, 'invalid_grant', 50013);

    // The middle tier holds no consent for this Graph permission.
    const consent = await exchange(incoming, 'https://graph.microsoft.com/Application.Read.All');
    assertEntraError(consent, 400, 'invalid_grant', 65001);
    assert.equal(consent.body.suberror, 'consent_required');

    assertEntraError(await exchange(incoming, 'User.Read', { id: API.v1 }), 401, 'invalid_client', 7000218);
    const wrongUse = await tokenRequest(h, {
      grant_type: OBO,
      client_id: API.v1,
      client_secret: API_SECRET,
      assertion: incoming,
      scope: 'User.Read',
    });
    assertEntraError(wrongUse, 400, 'invalid_request', 900144);
  });

  test('the chain dies with the user’s sessions: no new exchange, the Graph token and the refresh token are refused', async () => {
    const incoming = (await userTokenForApi('bob')).access_token!;
    const obtained = await exchange(incoming, 'https://graph.microsoft.com/User.Read offline_access');
    assert.equal(obtained.status, 200, JSON.stringify(obtained.body));
    const graphToken = String(obtained.body.access_token);
    assert.equal((await me(graphToken)).statusCode, 200);

    await revokeUserSessions(h.store, h.clock, { target: h.users.bob!, actor: {}, correlationId: 'test' });

    const again = await exchange(incoming, 'https://graph.microsoft.com/User.Read');
    assertEntraError(again, 400, 'invalid_grant', 50173);
    assert.equal(again.body.suberror, 'bad_token');
    assert.equal((await me(graphToken)).statusCode, 401, 'what was obtained on the user’s behalf is refused');
    const refreshed = await tokenRequest(h, {
      grant_type: 'refresh_token',
      client_id: API.v1,
      client_secret: API_SECRET,
      refresh_token: String(obtained.body.refresh_token),
    });
    assertEntraError(refreshed, 400, 'invalid_grant', 50173);

    // A new sign-in starts a new chain (I2).
    const fresh = (await userTokenForApi('bob')).access_token!;
    assert.equal((await exchange(fresh, 'User.Read')).status, 200);
  });
});
