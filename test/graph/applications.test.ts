import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP, appToken, delegatedToken, makeHarness, PUBLIC_URL, TENANT_ID, type Harness } from '../helpers/harness.js';
import { assertGraphError, call } from './graph-helpers.js';

/** GET/PATCH /applications: the back-channel logout registration through Graph. */
describe('Graph /applications', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  const reader = () => appToken(h, ['Application.Read.All']);
  const writer = () => appToken(h, ['Application.ReadWrite.All']);

  test('GET returns the registration with the back-channel logout properties (none by default); secrets only as hints', async () => {
    const res = await call(h, 'GET', `/v1.0/applications/${APP.webApp}`, { token: reader() });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#applications/$entity`);
    assert.equal(res.json.id, APP.webApp);
    assert.equal(res.json.appId, APP.webApp);
    assert.equal(res.json.displayName, 'Web App');
    assert.equal(res.json.backchannelLogoutUri, null);
    assert.equal(res.json.backchannelLogoutSessionRequired, false);
    assert.equal(res.json.passwordCredentials[0].secretText, null);
    assert.equal(res.json.passwordCredentials[0].hint, 'web');
    assert.doesNotMatch(res.body, /web-app-secret-value|argon2/);
    const list = await call(h, 'GET', '/v1.0/applications', { token: reader() });
    assert.equal(list.status, 200);
    // The four seeded ones and the console's own registration (src/console/registration.ts).
    assert.deepEqual((list.json.value as { displayName: string }[]).map((a) => a.displayName).sort(), [
      'Daemon',
      'Portcullis Console',
      'Public Client',
      'SPA',
      'Web App',
    ]);
  });

  test('PATCH sets, changes and clears backchannelLogoutUri; each change is audited as "Update application"', async () => {
    const uri = 'https://app.contoso.test/auth/backchannel-logout';
    const set = await call(h, 'PATCH', `/v1.0/applications/${APP.webApp}`, {
      token: writer(),
      body: { backchannelLogoutUri: uri, backchannelLogoutSessionRequired: true },
      headers: { 'client-request-id': 'patch-app-1' },
    });
    assert.equal(set.status, 204, set.body);
    assert.deepEqual((await h.store.applications.findByAppId(TENANT_ID, APP.webApp))?.backchannelLogout, { uri, sessionRequired: true });
    const got = await call(h, 'GET', `/beta/applications/${APP.webApp}`, { token: reader() });
    assert.equal(got.json.backchannelLogoutUri, uri);
    assert.equal(got.json.backchannelLogoutSessionRequired, true);
    // Changing one property keeps the other.
    assert.equal(
      (await call(h, 'PATCH', `/v1.0/applications/${APP.webApp}`, { token: writer(), body: { backchannelLogoutSessionRequired: false } }))
        .status,
      204,
    );
    assert.deepEqual((await h.store.applications.findByAppId(TENANT_ID, APP.webApp))?.backchannelLogout, { uri, sessionRequired: false });
    assert.equal(
      (await call(h, 'PATCH', `/v1.0/applications/${APP.webApp}`, { token: writer(), body: { backchannelLogoutUri: null } })).status,
      204,
    );
    assert.equal((await h.store.applications.findByAppId(TENANT_ID, APP.webApp))?.backchannelLogout, null);
    const audit = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Update application', limit: 10 });
    assert.equal(audit.length, 3);
    const first = audit.find((a) => a.correlationId === 'patch-app-1')!;
    assert.equal(first.targetResources[0]!.type, 'Application');
    assert.deepEqual(first.targetResources[0]!.modifiedProperties, [
      { displayName: 'BackchannelLogout', oldValue: null, newValue: JSON.stringify({ uri, sessionRequired: true }) },
    ]);
    assert.deepEqual(first.initiatedBy.app?.appId, APP.webApp);
  });

  test('PATCH refuses bad URIs, other properties and wrong types with 400, and changes nothing', async () => {
    for (const body of [
      { backchannelLogoutUri: 'http://app.contoso.test/bcl' },
      { backchannelLogoutUri: 'https://app.contoso.test/bcl#frag' },
      { backchannelLogoutUri: 'not a url' },
      { backchannelLogoutUri: 42 },
      { backchannelLogoutUri: 'https://app.contoso.test/bcl', backchannelLogoutSessionRequired: 'yes' },
    ]) {
      const res = await call(h, 'PATCH', `/v1.0/applications/${APP.spa}`, { token: writer(), body });
      assertGraphError(res, 400, 'Request_BadRequest');
    }
    const other = await call(h, 'PATCH', `/v1.0/applications/${APP.spa}`, { token: writer(), body: { keyCredentials: [] } });
    assertGraphError(other, 400, 'Request_BadRequest');
    assert.match(other.json.error.message, /not supported by Portcullis/);
    assert.equal((await h.store.applications.findByAppId(TENANT_ID, APP.spa))?.backchannelLogout, null);
    // http on loopback is fine (local development), as for redirect URIs.
    assert.equal(
      (
        await call(h, 'PATCH', `/v1.0/applications/${APP.spa}`, {
          token: writer(),
          body: { backchannelLogoutUri: 'http://localhost:5173/bcl' },
        })
      ).status,
      204,
    );
  });

  test('permissions: reading needs an application or directory read permission; writing needs Application.ReadWrite.All and, delegated, Global Administrator', async () => {
    assertGraphError(
      await call(h, 'GET', `/v1.0/applications/${APP.spa}`, { token: appToken(h, ['User.Read.All']) }),
      403,
      'Authorization_RequestDenied',
    );
    assertGraphError(
      await call(h, 'PATCH', `/v1.0/applications/${APP.spa}`, {
        token: appToken(h, ['Application.Read.All', 'Directory.ReadWrite.All']),
        body: { backchannelLogoutUri: null },
      }),
      403,
      'Authorization_RequestDenied',
    );
    assertGraphError(
      await call(h, 'PATCH', `/v1.0/applications/${APP.spa}`, {
        token: delegatedToken(h, 'alice', ['Application.ReadWrite.All']),
        body: { backchannelLogoutUri: null },
      }),
      403,
      'Authorization_RequestDenied',
    );
    const admin = await call(h, 'PATCH', `/v1.0/applications/${APP.spa}`, {
      token: delegatedToken(h, 'globaladmin', ['Application.ReadWrite.All']),
      body: { backchannelLogoutUri: null },
    });
    assert.equal(admin.status, 204, admin.body);
    assertGraphError(
      await call(h, 'GET', '/v1.0/applications/00000000-0000-4000-8000-00000000dead', { token: reader() }),
      404,
      'Request_ResourceNotFound',
    );
    assertGraphError(await call(h, 'GET', '/v1.0/applications/not-a-guid', { token: reader() }), 404, 'Request_ResourceNotFound');
  });
});
