import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GRAPH_RESOURCE_APP_ID } from '../../src/core/permissions.js';
import { ROLE } from '../../src/core/roles.js';
import { tokenRequest } from '../helpers/browser-flow.js';
import { APP, appToken, delegatedToken, makeHarness, TENANT_ID, type Harness } from '../helpers/harness.js';
import { assertGraphError, call } from './graph-helpers.js';

/** Registering applications at runtime over Graph: create, address, update, delete, secrets, consent. */
describe('Graph application registration', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
    const appadmin = {
      ...h.users.alice!,
      id: crypto.randomUUID(),
      userPrincipalName: 'appadmin@contoso.test',
      roleTemplateIds: [ROLE.applicationAdministrator],
    };
    await h.store.users.insert(appadmin);
    h.users.appadmin = appadmin;
  });
  after(() => h.close());

  const writer = () => appToken(h, ['Application.ReadWrite.All']);
  const create = async (body: Record<string, unknown>) => {
    const res = await call(h, 'POST', '/v1.0/applications', { token: writer(), body });
    assert.equal(res.status, 201, res.body);
    return res.json as { id: string; appId: string } & Record<string, unknown>;
  };
  const role = (value: string, extra: Record<string, unknown> = {}) => ({
    id: crypto.randomUUID(),
    value,
    displayName: value,
    description: `${value} role`,
    allowedMemberTypes: ['Application'],
    isEnabled: true,
    ...extra,
  });
  const scope = (value: string) => ({
    id: crypto.randomUUID(),
    value,
    type: 'User',
    isEnabled: true,
    adminConsentDisplayName: value,
    adminConsentDescription: `${value} scope`,
  });

  test('POST with a display name only: 201, the whole object, an object id apart from the appId, audited "Add application"', async () => {
    const res = await call(h, 'POST', '/v1.0/applications', {
      token: writer(),
      body: { displayName: 'Minimal' },
      headers: { 'client-request-id': 'create-minimal' },
    });
    assert.equal(res.status, 201, res.body);
    const app = res.json;
    assert.match(app.id, /^[0-9a-f-]{36}$/);
    assert.match(app.appId, /^[0-9a-f-]{36}$/);
    assert.notEqual(app.id, app.appId);
    assert.equal(res.headers.location, `https://login.portcullis.test/v1.0/applications/${app.id}`);
    assert.deepEqual(app.identifierUris, []);
    assert.deepEqual(app.web, { redirectUris: [] });
    assert.deepEqual(app.api, { requestedAccessTokenVersion: null, oauth2PermissionScopes: [] });
    assert.deepEqual(app.passwordCredentials, []);
    const byId = await call(h, 'GET', `/v1.0/applications/${app.id}`, { token: writer() });
    assert.equal(byId.json.appId, app.appId);
    const byAppId = await call(h, 'GET', `/v1.0/applications(appId='${app.appId}')`, { token: writer() });
    assert.equal(byAppId.status, 200, byAppId.body);
    assert.equal(byAppId.json.id, app.id);
    // The appId is not the object id.
    assertGraphError(await call(h, 'GET', `/v1.0/applications/${app.appId}`, { token: writer() }), 404, 'Request_ResourceNotFound');
    const [audit] = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Add application', limit: 10 });
    assert.equal(audit?.correlationId, 'create-minimal');
    assert.equal(audit?.targetResources[0]?.id, app.id);
  });

  test('apps from before keep id = appId', async () => {
    const res = await call(h, 'GET', `/v1.0/applications/${APP.webApp}`, { token: writer() });
    assert.equal(res.json.id, APP.webApp);
  });

  test('PATCH replaces collections wholesale; DELETE removes the app; both audited', async () => {
    const app = await create({ displayName: 'API', spa: { redirectUris: ['http://localhost:5173'] } });
    const read = role('Tasks.Read.All');
    const patch = {
      displayName: 'Tasks API',
      web: { redirectUris: ['https://tasks.contoso.test/signin'] },
      identifierUris: [`api://${app.appId}`],
      api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: [scope('access_as_user')] },
      appRoles: [read],
      requiredResourceAccess: [{ resourceAppId: GRAPH_RESOURCE_APP_ID, resourceAccess: [{ id: crypto.randomUUID(), type: 'Scope' }] }],
      isFallbackPublicClient: true,
    };
    const res = await call(h, 'PATCH', `/v1.0/applications(appId='${app.appId}')`, { token: writer(), body: patch });
    assert.equal(res.status, 204, res.body);
    const got = (await call(h, 'GET', `/v1.0/applications/${app.id}`, { token: writer() })).json;
    assert.equal(got.displayName, 'Tasks API');
    assert.deepEqual(got.spa.redirectUris, ['http://localhost:5173']);
    assert.deepEqual(got.web.redirectUris, ['https://tasks.contoso.test/signin']);
    assert.deepEqual(got.identifierUris, [`api://${app.appId}`]);
    assert.equal(got.api.requestedAccessTokenVersion, 2);
    assert.deepEqual(got.appRoles, [read]);
    assert.equal(got.isFallbackPublicClient, true);
    // The store finds the app by its identifier URI (what the token endpoint resolves).
    assert.equal((await h.store.applications.findByIdentifierUri(TENANT_ID, `API://${app.appId}`))?.appId, app.appId);
    // Wholesale: a new redirect list replaces the old one.
    await call(h, 'PATCH', `/v1.0/applications/${app.id}`, { token: writer(), body: { spa: { redirectUris: [] } } });
    assert.deepEqual((await h.store.applications.findByAppId(TENANT_ID, app.appId))?.spaRedirectUris, []);
    const updates = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Update application', limit: 50 });
    const names = updates.find((u) => u.targetResources[0]?.id === app.id && u.targetResources[0].modifiedProperties.length > 3);
    assert.ok(names?.targetResources[0]?.modifiedProperties.some((p) => p.displayName === 'IdentifierUris'));

    assert.equal((await call(h, 'DELETE', `/v1.0/applications/${app.id}`, { token: writer() })).status, 204);
    assertGraphError(await call(h, 'GET', `/v1.0/applications/${app.id}`, { token: writer() }), 404, 'Request_ResourceNotFound');
    assert.equal(await h.store.applications.findByIdentifierUri(TENANT_ID, `api://${app.appId}`), null);
    const deleted = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Delete application', limit: 10 });
    assert.equal(deleted[0]?.targetResources[0]?.id, app.id);
  });

  test('list pages with $top and @odata.nextLink', async () => {
    const seen = new Set<string>();
    let url: string | undefined = '/v1.0/applications?$top=2';
    let pages = 0;
    while (url) {
      const res = await call(h, 'GET', url, { token: writer() });
      assert.equal(res.status, 200, res.body);
      assert.ok(res.json.value.length <= 2);
      for (const a of res.json.value) seen.add(a.appId);
      url = res.json['@odata.nextLink']?.replace('https://login.portcullis.test', '');
      pages++;
    }
    const all = await h.store.applications.list(TENANT_ID);
    assert.equal(seen.size, all.length);
    assert.ok(pages >= 3);
    assertGraphError(await call(h, 'GET', '/v1.0/applications?$skiptoken=bogus', { token: writer() }), 400, 'Directory_ExpiredPageToken');
  });

  test('bad input is refused with Graph errors and writes nothing', async () => {
    const app = await create({ displayName: 'Strict', identifierUris: ['api://strict.contoso.test'], appRoles: [role('Keep')] });
    const other = await create({ displayName: 'Other' });
    const before = await h.store.applications.findByAppId(TENANT_ID, app.appId);
    const cases: [unknown, RegExp][] = [
      [[1, 2], /must be a JSON object/],
      [{ web: { redirectUris: ['http://evil.example/cb'] } }, /'web.redirectUris'/],
      [{ spa: { redirectUris: ['https://x.test/#frag'] } }, /'spa.redirectUris'/],
      [{ web: { redirectUris: 'https://x.test' } }, /'web.redirectUris'/],
      [{ web: { redirectUris: [], logoutUrl: 'https://x.test' } }, /logoutUrl/],
      [{ bogus: 1 }, /Property 'bogus' does not exist/],
      [{ appId: crypto.randomUUID() }, /read-only/],
      [{ signInAudience: 'AzureADMultipleOrgs' }, /not supported/],
      [{ displayName: '' }, /'displayName'/],
      [{ displayName: 42 }, /'displayName'/],
      [{ identifierUris: ['not a uri'] }, /'identifierUris'/],
      [{ identifierUris: ['api://a', 'API://A'] }, /'identifierUris'/],
      [{ appRoles: [role('Keep'), role('has space')] }, /appRoles.value/],
      [{ appRoles: [role('Keep'), role('Dup'), role('Dup')] }, /appRoles.value/],
      [{ appRoles: [role('Keep'), role('X', { id: 'not-a-guid' })] }, /appRoles.id/],
      [{ appRoles: [role('Keep'), role('X', { allowedMemberTypes: [] })] }, /allowedMemberTypes/],
      [{ appRoles: [{ ...role('Keep'), origin: 'Application' }] }, /origin/],
      [{ api: { requestedAccessTokenVersion: 3 } }, /requestedAccessTokenVersion/],
      [{ api: { oauth2PermissionScopes: [{ ...scope('x'), type: 'Everyone' }] } }, /oauth2PermissionScopes.type/],
      [{ requiredResourceAccess: [{ resourceAppId: 'graph', resourceAccess: [] }] }, /resourceAppId/],
    ];
    for (const [body, message] of cases) {
      const res = await call(h, 'PATCH', `/v1.0/applications/${app.id}`, { token: writer(), body });
      assertGraphError(res, 400, 'Request_BadRequest', message);
    }
    // Another app's identifier URI (case-insensitively): Graph's conflict, and neither app changes.
    const dup = await call(h, 'PATCH', `/v1.0/applications/${other.id}`, {
      token: writer(),
      body: { displayName: 'Renamed', identifierUris: ['API://strict.contoso.test'] },
    });
    assertGraphError(dup, 400, 'Request_BadRequest', 'Another object with the same value for property identifierUris already exists.');
    assert.deepEqual(dup.json.error.details, [{ target: 'identifierUris', code: 'ObjectConflict' }]);
    assert.equal((await h.store.applications.findByAppId(TENANT_ID, other.appId))?.displayName, 'Other');
    const dupCreate = await call(h, 'POST', '/v1.0/applications', {
      token: writer(),
      body: { displayName: 'Third', identifierUris: ['api://strict.contoso.test'] },
    });
    assertGraphError(dupCreate, 400, 'Request_BadRequest', /identifierUris already exists/);
    assertGraphError(await call(h, 'POST', '/v1.0/applications', { token: writer(), body: {} }), 400, 'Request_BadRequest', /displayName/);
    assertGraphError(await call(h, 'POST', '/v1.0/applications', { token: writer() }), 400, 'Request_BadRequest', /Empty Payload/);
    assert.deepEqual(await h.store.applications.findByAppId(TENANT_ID, app.appId), before);
  });

  test('an enabled app role or scope must be disabled before it is removed or its value changed', async () => {
    const keep = role('Reports.Read');
    const s = scope('read');
    const app = await create({ displayName: 'Roles', appRoles: [keep], api: { oauth2PermissionScopes: [s] } });
    const url = `/v1.0/applications/${app.id}`;
    for (const body of [{ appRoles: [] }, { appRoles: [{ ...keep, value: 'Reports.Renamed' }] }, { api: { oauth2PermissionScopes: [] } }]) {
      const res = await call(h, 'PATCH', url, { token: writer(), body });
      assertGraphError(res, 400, 'Request_BadRequest', 'Permission (scope or role) cannot be deleted or updated unless disabled first.');
      assert.equal(res.json.error.details[0].code, 'CannotDeleteOrUpdateEnabledEntitlement');
    }
    assert.equal((await call(h, 'PATCH', url, { token: writer(), body: { appRoles: [{ ...keep, isEnabled: false }] } })).status, 204);
    assert.equal((await call(h, 'PATCH', url, { token: writer(), body: { appRoles: [] } })).status, 204);
    assert.deepEqual((await h.store.applications.findByAppId(TENANT_ID, app.appId))?.appRoles, []);
  });

  test('addPassword shows the secret once; client credentials work with it; removePassword stops it at once', async () => {
    const app = await create({ displayName: 'Daemon' });
    const res = await call(h, 'POST', `/v1.0/applications/${app.id}/addPassword`, {
      token: writer(),
      body: { passwordCredential: { displayName: 'ci' } },
    });
    assert.equal(res.status, 200, res.body);
    const { secretText, hint, keyId, endDateTime, startDateTime } = res.json;
    assert.ok(secretText.length >= 16 && secretText.length <= 64);
    assert.equal(hint, secretText.slice(0, 3));
    const years = (Date.parse(endDateTime) - Date.parse(startDateTime)) / (365.25 * 24 * 3600_000);
    assert.ok(Math.abs(years - 2) < 0.01, `default lifetime ${years} years`);
    const stored = await h.store.applications.findByAppId(TENANT_ID, app.appId);
    assert.equal(stored?.secrets[0]?.keyId, keyId);
    assert.match(stored?.secrets[0]?.hash ?? '', /^\$argon2id\$/);
    assert.doesNotMatch(JSON.stringify(stored), new RegExp(secretText.replace(/[-]/g, '\\-')));
    const got = await call(h, 'GET', `/v1.0/applications(appId='${app.appId}')`, { token: writer() });
    assert.equal(got.json.passwordCredentials[0].secretText, null);
    assert.doesNotMatch(got.body, new RegExp(secretText.replace(/[-]/g, '\\-')));
    const audit = await h.store.audit.list({
      tenantId: TENANT_ID,
      activityDisplayName: 'Update application – Certificates and secrets management',
      limit: 10,
    });
    assert.ok(audit.some((a) => a.targetResources[0]?.id === app.id));
    assert.doesNotMatch(JSON.stringify(audit), new RegExp(secretText.replace(/[-]/g, '\\-')));

    const form = {
      grant_type: 'client_credentials',
      client_id: app.appId,
      client_secret: secretText,
      scope: 'https://graph.microsoft.com/.default',
    };
    assert.equal((await tokenRequest(h, form)).status, 200);
    // The verified-secret cache must not outlive the credential.
    const removed = await call(h, 'POST', `/v1.0/applications(appId='${app.appId}')/removePassword`, { token: writer(), body: { keyId } });
    assert.equal(removed.status, 204, removed.body);
    const refused = await tokenRequest(h, form);
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body.error_codes, [7000215]);
    assertGraphError(
      await call(h, 'POST', `/v1.0/applications/${app.id}/removePassword`, { token: writer(), body: { keyId } }),
      400,
      'Request_BadRequest',
    );
  });

  test('an expired secret is refused with AADSTS7000222; bad addPassword bodies are 400', async () => {
    const app = await create({ displayName: 'Expiring' });
    const now = Date.now();
    const res = await call(h, 'POST', `/v1.0/applications/${app.id}/microsoft.graph.addPassword`, {
      token: writer(),
      body: {
        passwordCredential: {
          startDateTime: new Date(now - 7_200_000).toISOString(),
          endDateTime: new Date(now - 3_600_000).toISOString(),
        },
      },
    });
    assert.equal(res.status, 200, res.body);
    const refused = await tokenRequest(h, {
      grant_type: 'client_credentials',
      client_id: app.appId,
      client_secret: res.json.secretText,
      scope: 'https://graph.microsoft.com/.default',
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');
    assert.deepEqual(refused.body.error_codes, [7000222]);
    assert.match(String(refused.body.error_description), /^AADSTS7000222: The provided client secret keys for app '/);
    for (const body of [
      { passwordCredential: { secretText: 'my-own-chosen-secret-1234' } },
      { passwordCredential: { endDateTime: 'tomorrow' } },
      { passwordCredential: { startDateTime: new Date(now).toISOString(), endDateTime: new Date(now - 1000).toISOString() } },
      { other: 1 },
    ]) {
      assertGraphError(
        await call(h, 'POST', `/v1.0/applications/${app.id}/addPassword`, { token: writer(), body }),
        400,
        'Request_BadRequest',
      );
    }
    assertGraphError(
      await call(h, 'POST', `/v1.0/applications/${app.id}/removePassword`, { token: writer(), body: { keyId: 'x' } }),
      400,
      'Request_BadRequest',
    );
  });

  test('consent: delegated grants and app role assignments write the client; Graph application permissions need a company admin', async () => {
    const readRole = role('Tasks.Read.All');
    const api = await create({
      displayName: 'Consent API',
      identifierUris: ['api://consent.contoso.test'],
      appRoles: [readRole],
      api: { oauth2PermissionScopes: [scope('tasks.read')] },
    });
    const client = await create({ displayName: 'Consent client' });
    const grants = appToken(h, ['DelegatedPermissionGrant.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All']);
    const delegated = await call(h, 'POST', '/v1.0/oauth2PermissionGrants', {
      token: grants,
      body: { clientId: client.appId, consentType: 'AllPrincipals', resourceId: api.appId, scope: 'tasks.read' },
    });
    assert.equal(delegated.status, 201, delegated.body);
    assert.equal(delegated.json.principalId, null);
    const toGraph = await call(h, 'POST', '/v1.0/oauth2PermissionGrants', {
      token: grants,
      body: { clientId: client.appId, consentType: 'AllPrincipals', resourceId: GRAPH_RESOURCE_APP_ID, scope: 'user.read' },
    });
    assert.equal(toGraph.status, 201, toGraph.body);
    const assigned = await call(h, 'POST', `/v1.0/servicePrincipals/${api.appId}/appRoleAssignedTo`, {
      token: grants,
      body: { principalId: client.appId, resourceId: api.appId, appRoleId: readRole.id },
    });
    assert.equal(assigned.status, 201, assigned.body);
    const stored = await h.store.applications.findByAppId(TENANT_ID, client.appId);
    assert.deepEqual(stored?.resourceGrants, [{ resourceAppId: api.appId, scopes: ['tasks.read'], appRoleIds: [readRole.id] }]);
    assert.deepEqual(stored?.delegatedPermissions, ['User.Read']);

    for (const body of [
      { clientId: client.appId, consentType: 'Principal', resourceId: api.appId, scope: 'tasks.read' },
      { clientId: client.appId, consentType: 'AllPrincipals', resourceId: api.appId, scope: 'tasks.write' },
      { clientId: client.appId, consentType: 'AllPrincipals', resourceId: GRAPH_RESOURCE_APP_ID, scope: 'Mail.Send' },
    ]) {
      assertGraphError(await call(h, 'POST', '/v1.0/oauth2PermissionGrants', { token: grants, body }), 400, 'Request_BadRequest');
    }

    // Microsoft Graph's User.Read.All app role: an Application Administrator may not grant it, a Global Administrator may.
    const graphRole = { principalId: client.appId, resourceId: GRAPH_RESOURCE_APP_ID, appRoleId: 'df021288-bdef-4463-88db-98f22de89214' };
    const path = `/v1.0/servicePrincipals/${GRAPH_RESOURCE_APP_ID}/appRoleAssignedTo`;
    assertGraphError(
      await call(h, 'POST', path, { token: delegatedToken(h, 'appadmin', ['AppRoleAssignment.ReadWrite.All']), body: graphRole }),
      403,
      'Authorization_RequestDenied',
    );
    const byAdmin = await call(h, 'POST', path, {
      token: delegatedToken(h, 'globaladmin', ['AppRoleAssignment.ReadWrite.All']),
      body: graphRole,
    });
    assert.equal(byAdmin.status, 201, byAdmin.body);
    assert.deepEqual((await h.store.applications.findByAppId(TENANT_ID, client.appId))?.applicationPermissions, ['User.Read.All']);
  });
});
