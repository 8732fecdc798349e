/**
 * Access tokens for an app that exposes an API (docs/tokens.md): each spelling of the scope
 * (`{identifier URI}/x`, `{appId}/x`, `.default`), the v1.0 and v2.0 shapes, app roles for client
 * credentials, the grants that issue them, Entra's errors, and revocation (I6) through
 * introspection and the Graph API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { CookieJar, signIn, tokenRequest } from '../helpers/browser-flow.js';
import { API, registerApis } from '../helpers/api-apps.js';
import { APP, PASSWORD, PUBLIC_URL, TENANT_ID, WEB_SECRET, DAEMON_SECRET, makeHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
before(async () => {
  h = await makeHarness();
  await registerApis(h.store);
});
after(async () => h.close());

const decode = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

async function passwordToken(scope: string, user = 'alice', extra: Record<string, string> = {}) {
  return tokenRequest(h, {
    grant_type: 'password',
    client_id: APP.publicClient,
    username: `${user}@contoso.test`,
    password: PASSWORD,
    scope,
    ...extra,
  });
}

function assertEntraError(res: { status: number; body: Record<string, unknown> }, error: string, code: number) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error, error);
  assert.deepEqual(res.body.error_codes, [code]);
  assert.match(String(res.body.error_description), new RegExp(`^AADSTS${code}: `));
}

describe('delegated tokens for an API', () => {
  test('identifier-URI spelling, v1.0 API: aud is the URI as requested, v1 issuer and claims', async () => {
    const res = await passwordToken(`${API.v1Uri}/access_as_user`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.scope, `${API.v1Uri}/access_as_user`);
    const at = decode(String(res.body.access_token));
    assert.equal(at.aud, API.v1Uri);
    assert.equal(at.iss, `${PUBLIC_URL}/${TENANT_ID}/`);
    assert.equal(at.ver, '1.0');
    assert.equal(at.appid, APP.publicClient);
    assert.equal(at.appidacr, '0');
    assert.equal(at.upn, 'alice@contoso.test');
    assert.equal(at.unique_name, 'alice@contoso.test');
    assert.equal(at.scp, 'access_as_user');
    assert.equal(at.oid, h.users.alice!.id);
    assert.equal(at.tid, TENANT_ID);
    assert.equal(at.pc_epoch, 0, 'carries the epoch Portcullis refuses it by after a revoke');
    assert.equal(typeof at.pc_gid, 'string');
    for (const v2Only of ['azp', 'azpacr', 'preferred_username']) assert.equal(at[v2Only], undefined, `no ${v2Only} in v1.0`);
  });

  test('GUID spelling: a v1.0 token says the appId as aud; scope values compare case-insensitively', async () => {
    const res = await passwordToken(`${API.v1.toUpperCase()}/ACCESS_AS_USER`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const at = decode(String(res.body.access_token));
    assert.equal(at.aud, API.v1);
    assert.equal(at.scp, 'access_as_user');
  });

  test('.default: only the enabled scopes the client holds consent for', async () => {
    const res = await passwordToken(`${API.v1Uri}/.default offline_access`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // Old.Scope is consented but disabled; Todo.Write is enabled but not consented.
    assert.equal(decode(String(res.body.access_token)).scp, 'access_as_user');
    assert.equal(res.body.scope, `${API.v1Uri}/access_as_user offline_access`);
  });

  test('v2.0 API: aud is always the appId, v2 issuer, azp/azpacr and preferred_username', async () => {
    for (const spelling of [`${API.v2Uri}/Orders.Read`, `${API.v2}/Orders.Read`]) {
      const res = await passwordToken(spelling);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const at = decode(String(res.body.access_token));
      assert.equal(at.aud, API.v2, spelling);
      assert.equal(at.iss, `${PUBLIC_URL}/${TENANT_ID}/v2.0`);
      assert.equal(at.ver, '2.0');
      assert.equal(at.azp, APP.publicClient);
      assert.equal(at.azpacr, '0');
      assert.equal(at.preferred_username, 'alice@contoso.test');
      assert.equal(at.scp, 'Orders.Read');
      assert.equal(at.appid, undefined);
    }
  });

  test('authorization code, then refresh: the same API again, or Graph with the same refresh token', async () => {
    const { tokens } = await signIn(h, 'alice@contoso.test', new CookieJar(), {
      scope: `openid profile offline_access ${API.v1Uri}/access_as_user`,
    });
    assert.equal(decode(tokens.access_token!).aud, API.v1Uri);
    assert.equal(decode(tokens.id_token!).aud, APP.publicClient, 'the ID token stays the client’s');
    const again = await tokenRequest(h, { grant_type: 'refresh_token', client_id: APP.publicClient, refresh_token: tokens.refresh_token! });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(decode(String(again.body.access_token)).aud, API.v1Uri, 'without scope: the grant’s own resource');
    const graph = await tokenRequest(h, {
      grant_type: 'refresh_token',
      client_id: APP.publicClient,
      refresh_token: String(again.body.refresh_token),
      scope: 'User.Read offline_access',
    });
    assert.equal(graph.status, 200, JSON.stringify(graph.body));
    assert.equal(decode(String(graph.body.access_token)).aud, '00000003-0000-0000-c000-000000000000');
  });
});

describe('client credentials for an API', () => {
  test('roles are the enabled application roles assigned to the client; v1.0 app-only shape', async () => {
    const res = await tokenRequest(h, {
      grant_type: 'client_credentials',
      client_id: APP.webApp,
      client_secret: WEB_SECRET,
      scope: `${API.v1Uri}/.default`,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const at = decode(String(res.body.access_token));
    assert.equal(at.aud, API.v1Uri);
    // Todo.Disabled is disabled, Todo.Admin is for users only.
    assert.deepEqual(at.roles, ['Todo.Read.All']);
    assert.equal(at.appid, APP.webApp);
    assert.equal(at.appidacr, '1');
    assert.equal(at.ver, '1.0');
    assert.equal(at.scp, undefined);
    assert.equal(at.idtyp, 'app');
  });

  test('no role assigned: AADSTS501051', async () => {
    const res = await tokenRequest(h, {
      grant_type: 'client_credentials',
      client_id: APP.daemonNoPerms,
      client_secret: DAEMON_SECRET,
      scope: `${API.v1}/.default`,
    });
    assertEntraError(res, 'invalid_grant', 501051);
    assert.match(
      String(res.body.error_description),
      new RegExp(`Application '${APP.daemonNoPerms}'\\(Daemon\\) is not assigned to a role for the application '${API.v1}'\\(Todo API\\)`),
    );
  });
});

describe('errors', () => {
  test('a scope not consented: AADSTS65001 invalid_grant, suberror consent_required', async () => {
    const res = await passwordToken(`${API.v1Uri}/Todo.Write`);
    assertEntraError(res, 'invalid_grant', 65001);
    assert.equal(res.body.suberror, 'consent_required');
    // .default with no consent at all (the web app holds roles, no delegated scope).
    const none = await tokenRequest(h, {
      grant_type: 'password',
      client_id: APP.webApp,
      client_secret: WEB_SECRET,
      username: 'alice@contoso.test',
      password: PASSWORD,
      scope: `${API.v1Uri}/.default`,
    });
    assertEntraError(none, 'invalid_grant', 65001);
  });

  test('a disabled or unknown scope of a known API: AADSTS70011', async () => {
    assertEntraError(await passwordToken(`${API.v1Uri}/Old.Scope`), 'invalid_scope', 70011);
    assertEntraError(await passwordToken(`${API.v1Uri}/Nope`), 'invalid_scope', 70011);
  });

  test('an unknown resource or an app that exposes nothing: AADSTS500011 invalid_resource', async () => {
    assertEntraError(await passwordToken('api://nobody-here/access_as_user'), 'invalid_resource', 500011);
    assertEntraError(await passwordToken(`${API.plain}/access_as_user`), 'invalid_resource', 500011);
  });

  test('a resource part that is neither a URI nor a GUID: AADSTS70011 (scope format)', async () => {
    const res = await passwordToken('contoso-todo/access_as_user');
    assertEntraError(res, 'invalid_scope', 70011);
    assert.match(String(res.body.error_description), /valid URI form <https:\/\/example\/scope> or a valid Guid <guid\/scope>/);
  });

  test('two resources in one request: AADSTS28000', async () => {
    assertEntraError(await passwordToken(`User.Read ${API.v1Uri}/access_as_user`), 'invalid_scope', 28000);
    assertEntraError(await passwordToken(`${API.v1Uri}/access_as_user ${API.v2Uri}/Orders.Read`), 'invalid_scope', 28000);
    // Two spellings of one resource are one resource.
    const same = await passwordToken(`${API.v1Uri}/access_as_user ${API.v1}/access_as_user`);
    assert.equal(same.status, 200, JSON.stringify(same.body));
  });
});

describe('revocation (I6)', () => {
  test('introspection says active until the user is revoked; the Graph API never accepts an API token', async () => {
    const res = await passwordToken(`${API.v1Uri}/access_as_user`, 'bob');
    const token = String(res.body.access_token);
    const introspect = async () => {
      const r = await h.app.http.inject({
        method: 'POST',
        url: `/${TENANT_ID}/oauth2/v2.0/introspect`,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${APP.webApp}:${WEB_SECRET}`).toString('base64')}`,
        },
        payload: new URLSearchParams({ token }).toString(),
      });
      return r.json() as Record<string, unknown>;
    };
    const before = await introspect();
    assert.equal(before.active, true);
    assert.equal(before.aud, API.v1Uri);
    assert.equal(before.client_id, APP.publicClient);

    const graph = await h.app.http.inject({ method: 'GET', url: '/v1.0/me', headers: { authorization: `Bearer ${token}` } });
    assert.equal(graph.statusCode, 401, 'a token for another API is not a Graph token');

    await revokeUserSessions(h.store, h.clock, { target: h.users.bob!, actor: {}, correlationId: 'test' });
    assert.deepEqual(await introspect(), { active: false });
  });
});
