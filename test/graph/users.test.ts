import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACTIVITY } from '../../src/core/audit.js';
import { verifySecret } from '../../src/crypto/passwords.js';
import { GRAPH_CONTENT_TYPE } from '../../src/graph/http.js';
import { APP, PUBLIC_URL, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, pathOf, reload } from './graph-helpers.js';

const DEFAULT_KEYS = [
  '@odata.context',
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

describe('GET /users, /users/{id}, /me', () => {
  let h: Harness;
  let reader: string;
  before(async () => {
    h = await makeHarness();
    reader = delegatedToken(h, 'alice', ['User.Read.All']);
  });
  after(() => h.close());

  test('GET /me: Graph default user shape', async () => {
    const res = await call(h, 'GET', '/v1.0/me', { token: delegatedToken(h, 'alice', ['User.Read']) });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['content-type'], GRAPH_CONTENT_TYPE);
    const alice = h.users.alice!;
    assert.deepEqual(res.json, {
      '@odata.context': `${PUBLIC_URL}/v1.0/$metadata#users/$entity`,
      businessPhones: [],
      displayName: alice.displayName,
      givenName: null,
      jobTitle: null,
      mail: 'alice@contoso.test',
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: null,
      userPrincipalName: 'alice@contoso.test',
      id: alice.id,
    });
    assert.deepEqual(Object.keys(res.json), DEFAULT_KEYS);
  });

  test('GET /users/{id} and /users/{upn} (case-insensitive), beta context', async () => {
    const bob = h.users.bob!;
    const byId = await call(h, 'GET', `/v1.0/users/${bob.id.toUpperCase()}`, { token: reader });
    assert.equal(byId.status, 200, byId.body);
    assert.equal(byId.json.id, bob.id);
    const byUpn = await call(h, 'GET', '/beta/users/Bob@CONTOSO.test', { token: reader });
    assert.equal(byUpn.json.id, bob.id);
    assert.equal(byUpn.json['@odata.context'], `${PUBLIC_URL}/beta/$metadata#users/$entity`);
  });

  test('$select returns exactly the selected properties, including the select-only ones', async () => {
    const bob = h.users.bob!;
    const res = await call(
      h,
      'GET',
      `/v1.0/users/${bob.id}?$select=displayName,accountEnabled,createdDateTime,signInSessionsValidFromDateTime,refreshTokensValidFromDateTime`,
      { token: reader },
    );
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json, {
      '@odata.context': `${PUBLIC_URL}/v1.0/$metadata#users(displayName,accountEnabled,createdDateTime,signInSessionsValidFromDateTime,refreshTokensValidFromDateTime)/$entity`,
      displayName: bob.displayName,
      accountEnabled: true,
      createdDateTime: new Date(bob.createdAt).toISOString(),
      signInSessionsValidFromDateTime: null,
      refreshTokensValidFromDateTime: null,
    });
    const upper = await call(h, 'GET', `/v1.0/users/${bob.id}?%24select=DISPLAYNAME`, { token: reader });
    assert.deepEqual(Object.keys(upper.json), ['@odata.context', 'displayName']);
  });

  test('unknown $select property is a 400', async () => {
    const res = await call(h, 'GET', '/v1.0/me?$select=displayName,shoeSize', { token: reader });
    assertGraphError(res, 400, 'Request_BadRequest', "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.");
  });

  test('malformed id 400, unknown 404', async () => {
    assertGraphError(
      await call(h, 'GET', '/v1.0/users/12345', { token: reader }),
      400,
      'Request_BadRequest',
      "Invalid object identifier '12345'.",
    );
    const ghost = '0b6c1d8e-1111-4222-8333-944455556666';
    assertGraphError(
      await call(h, 'GET', `/v1.0/users/${ghost}`, { token: reader }),
      404,
      'Request_ResourceNotFound',
      `Resource '${ghost}' does not exist or one of its queried reference-property objects are not present.`,
    );
  });

  test('GET /users pages with $top and an absolute nextLink until every user is seen once', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/v1.0/users?$top=3&$select=id,userPrincipalName';
    let pages = 0;
    while (url) {
      const res = await call(h, 'GET', url, { token: reader });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#users(id,userPrincipalName)`);
      assert.ok(res.json.value.length <= 3);
      for (const u of res.json.value) {
        assert.deepEqual(Object.keys(u), ['id', 'userPrincipalName']);
        seen.push(u.id);
      }
      const next: string | undefined = res.json['@odata.nextLink'];
      if (next) {
        assert.ok(next.startsWith(`${PUBLIC_URL}/v1.0/users?`), next);
        assert.match(next, /\$top=3/);
        assert.deepEqual(Object.keys(res.json), ['@odata.context', '@odata.nextLink', 'value']);
      }
      url = next ? pathOf(next) : undefined;
      pages += 1;
    }
    const all = Object.values(h.users).map((u) => u.id);
    assert.equal(pages, Math.ceil(all.length / 3));
    assert.deepEqual([...seen].sort(), [...all].sort());
    assert.equal(new Set(seen).size, seen.length);
  });

  test('GET /users default page holds everyone without a nextLink', async () => {
    const res = await call(h, 'GET', '/v1.0/users', { token: reader });
    assert.equal(res.json.value.length, Object.keys(h.users).length);
    assert.equal(res.json['@odata.nextLink'], undefined);
    assert.deepEqual(Object.keys(res.json.value[0]), DEFAULT_KEYS.slice(1));
  });

  test("$filter=userPrincipalName eq '…' and id eq '…'", async () => {
    const bob = h.users.bob!;
    const byUpn = await call(h, 'GET', "/v1.0/users?$filter=userPrincipalName eq 'BOB@contoso.test'", { token: reader });
    assert.deepEqual(
      byUpn.json.value.map((u: { id: string }) => u.id),
      [bob.id],
    );
    const byId = await call(h, 'GET', `/v1.0/users?$filter=${encodeURIComponent(`id eq '${bob.id}'`)}`, { token: reader });
    assert.deepEqual(
      byId.json.value.map((u: { id: string }) => u.id),
      [bob.id],
    );
    const none = await call(h, 'GET', "/v1.0/users?$filter=userPrincipalName eq 'o''brien@contoso.test'", { token: reader });
    assert.deepEqual(none.json.value, []);
  });

  test('unsupported $filter, bad $top, bad $skiptoken, unsupported options', async () => {
    // The full query rules are in user-queries.test.ts.
    for (const filter of ["jobTitle eq 'x'", "startswith(id,'a')", 'createdDateTime gt 2020-01-01T00:00:00Z']) {
      const res = await call(h, 'GET', `/v1.0/users?$filter=${encodeURIComponent(filter)}`, { token: reader });
      assertGraphError(res, 400, 'Request_UnsupportedQuery', /^Unsupported or invalid query filter clause specified for property/);
    }
    for (const top of ['0', '1000', 'abc', '-1']) {
      assertGraphError(await call(h, 'GET', `/v1.0/users?$top=${top}`, { token: reader }), 400, 'Request_BadRequest', /Invalid page size/);
    }
    assertGraphError(await call(h, 'GET', '/v1.0/users?$skiptoken=nonsense', { token: reader }), 400, 'Directory_ExpiredPageToken');
    assertGraphError(await call(h, 'GET', '/v1.0/users?$expand=manager', { token: reader }), 400, 'Request_UnsupportedQuery');
    assertGraphError(await call(h, 'GET', '/v1.0/users?$top=2&$top=3', { token: reader }), 400, 'Request_BadRequest', /more than once/);
  });

  test('read permissions: User.Read covers only oneself; app needs a read role', async () => {
    const userRead = delegatedToken(h, 'alice', ['User.Read']);
    assertGraphError(await call(h, 'GET', '/v1.0/users', { token: userRead }), 403, 'Authorization_RequestDenied');
    assert.equal((await call(h, 'GET', `/v1.0/users/${h.users.alice!.id}`, { token: userRead })).status, 200);
    assertGraphError(await call(h, 'GET', `/v1.0/users/${h.users.bob!.id}`, { token: userRead }), 403, 'Authorization_RequestDenied');
    assert.equal((await call(h, 'GET', '/v1.0/users', { token: appToken(h, ['User.ReadWrite.All']) })).status, 200);
    assertGraphError(
      await call(h, 'GET', '/v1.0/users', { token: appToken(h, ['AuditLog.Read.All']) }),
      403,
      'Authorization_RequestDenied',
    );
    assertGraphError(
      await call(h, 'GET', '/v1.0/me', { token: delegatedToken(h, 'alice', ['AuditLog.Read.All']) }),
      403,
      'Authorization_RequestDenied',
    );
  });

  test('User.ReadBasic.All reads the basic profile only', async () => {
    const res = await call(h, 'GET', `/v1.0/users/${h.users.bob!.id}?$select=displayName,accountEnabled`, {
      token: delegatedToken(h, 'alice', ['User.ReadBasic.All']),
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.displayName, h.users.bob!.displayName);
    assert.equal(res.json.accountEnabled, null);
  });
});

describe('POST, PATCH, DELETE /users', () => {
  let h: Harness;
  let admin: string;
  before(async () => {
    h = await makeHarness();
    admin = delegatedToken(h, 'useradmin', ['User.ReadWrite.All', 'User.Read.All']);
  });
  after(() => h.close());

  const newUser = (alias: string, overrides: Record<string, unknown> = {}) => ({
    accountEnabled: true,
    displayName: `New ${alias}`,
    mailNickname: alias,
    userPrincipalName: `${alias}@contoso.test`,
    passwordProfile: { forceChangePasswordNextSignIn: true, password: 'xWwvJ]6NMw+bWH-d' },
    ...overrides,
  });

  const lastAudit = async (activity: string, correlationId: string) => {
    const records = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: activity, limit: 100 });
    return records.find((r) => r.correlationId === correlationId);
  };

  test('POST /users creates the user: 201, Location, Graph JSON, hashed password, Add user audit', async () => {
    const res = await call(h, 'POST', '/v1.0/users', {
      token: admin,
      body: newUser('carol'),
      headers: { 'client-request-id': 'create-carol' },
    });
    assert.equal(res.status, 201, res.body);
    assert.equal(res.headers.location, `${PUBLIC_URL}/v1.0/users/${res.json.id}`);
    assert.equal(res.json['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#users/$entity`);
    assert.equal(res.json.userPrincipalName, 'carol@contoso.test');
    assert.equal(res.json.displayName, 'New carol');
    assert.equal(res.json.mail, null);
    const stored = await reload(h, res.json.id);
    assert.equal(stored.accountEnabled, true);
    assert.equal(stored.revocationEpoch, 0);
    assert.deepEqual(stored.roleTemplateIds, []);
    assert.ok(stored.passwordHash && (await verifySecret(stored.passwordHash, 'xWwvJ]6NMw+bWH-d')));
    const record = await lastAudit(ACTIVITY.addUser, 'create-carol');
    assert.equal(record?.operationType, 'Add');
    assert.equal(record?.targetResources[0]?.id, stored.id);
    const got = await call(h, 'GET', '/v1.0/users/CAROL@contoso.test?$select=id,mailNickname', { token: admin });
    assert.deepEqual(got.json, { '@odata.context': got.json['@odata.context'], id: stored.id, mailNickname: 'carol' });
  });

  test('POST /users validation errors use Graph messages', async () => {
    const cases: [Record<string, unknown>, string | RegExp][] = [
      [
        newUser('dup', { userPrincipalName: 'ALICE@contoso.test' }),
        'Another object with the same value for property userPrincipalName already exists.',
      ],
      [
        newUser('dom', { userPrincipalName: 'dom@fabrikam.test' }),
        'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
      ],
      [
        newUser('weak', { passwordProfile: { password: 'password1' } }),
        'The specified password does not comply with password complexity requirements. Please provide a different password.',
      ],
      [
        newUser('short', { passwordProfile: { password: 'Aa1!' } }),
        'The specified password does not comply with password complexity requirements. Please provide a different password.',
      ],
      [newUser('nonick', { mailNickname: undefined }), 'Property mailNickname value is required but is empty or missing.'],
      [newUser('nopw', { passwordProfile: undefined }), 'Property passwordProfile value is required but is empty or missing.'],
      [newUser('noenabled', { accountEnabled: undefined }), 'Property accountEnabled value is required but is empty or missing.'],
      [newUser('badtype', { accountEnabled: 'yes' }), "Invalid value specified for property 'accountEnabled' of resource 'User'."],
      [
        newUser('badupn', { userPrincipalName: 'bad upn@contoso.test' }),
        "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
      ],
      [newUser('gn', { givenName: 'Gina' }), "Property 'givenName' is not supported by Portcullis."],
      [newUser('odd', { shoeSize: 44 }), /^The property 'shoeSize' does not exist on type 'microsoft.graph.user'/],
    ];
    for (const [body, message] of cases) {
      const res = await call(h, 'POST', '/v1.0/users', { token: admin, body });
      assertGraphError(res, 400, 'Request_BadRequest', message);
    }
    const dup = await call(h, 'POST', '/v1.0/users', { token: admin, body: newUser('dup2', { userPrincipalName: 'bob@contoso.test' }) });
    assert.deepEqual(dup.json.error.details, [{ target: 'userPrincipalName', code: 'ObjectConflict' }]);
    assertGraphError(
      await call(h, 'POST', '/v1.0/users', { token: admin }),
      400,
      'Request_BadRequest',
      'Empty Payload. JSON content expected.',
    );
    assertGraphError(
      await call(h, 'POST', '/v1.0/users', { token: admin, body: '[1,2]', headers: { 'content-type': 'application/json' } }),
      400,
      'Request_BadRequest',
    );
  });

  test('POST /users permissions: a role that manages users, or an application write role', async () => {
    const refusedBy = [
      delegatedToken(h, 'alice', ['User.ReadWrite.All']),
      delegatedToken(h, 'helpdesk', ['User.ReadWrite.All']),
      delegatedToken(h, 'useradmin', ['User.Read.All', 'User.RevokeSessions.All']),
      appToken(h, ['User.Read.All', 'User.RevokeSessions.All']),
    ];
    for (const token of refusedBy) {
      assertGraphError(await call(h, 'POST', '/v1.0/users', { token, body: newUser('denied') }), 403, 'Authorization_RequestDenied');
    }
    const byApp = await call(h, 'POST', '/v1.0/users', { token: appToken(h, ['User.ReadWrite.All']), body: newUser('daemonmade') });
    assert.equal(byApp.status, 201, byApp.body);
    const byWriter = await call(h, 'POST', '/beta/users', {
      token: delegatedToken(h, 'dirwriter', ['Directory.ReadWrite.All']),
      body: newUser('writermade'),
    });
    assert.equal(byWriter.status, 201, byWriter.body);
    assert.equal(byWriter.headers.location, `${PUBLIC_URL}/beta/users/${byWriter.json.id}`);
  });

  test('PATCH accountEnabled=false: 204, epoch bumped, Disable account audit; true: Enable account, no bump', async () => {
    const before = await reload(h, h.users.bob!);
    const res = await call(h, 'PATCH', `/v1.0/users/${before.id}`, {
      token: admin,
      body: { accountEnabled: false },
      headers: { 'client-request-id': 'disable-bob' },
    });
    assert.equal(res.status, 204, res.body);
    assert.equal(res.body, '');
    const disabled = await reload(h, before);
    assert.equal(disabled.accountEnabled, false);
    assert.equal(disabled.revocationEpoch, before.revocationEpoch + 1);
    assert.ok(disabled.signInSessionsValidFrom !== null);
    assert.equal(disabled.signInSessionsValidFrom, disabled.refreshTokensValidFrom);
    const record = await lastAudit(ACTIVITY.disableAccount, 'disable-bob');
    assert.deepEqual(record?.targetResources[0]?.modifiedProperties, [
      { displayName: 'AccountEnabled', oldValue: 'true', newValue: 'false' },
    ]);
    assert.deepEqual(record?.initiatedBy.user?.id, h.users.useradmin!.id);

    // The disabled user's own token stops working at once.
    const bobToken = await call(h, 'GET', '/v1.0/me', { token: delegatedToken(h, 'bob', ['User.Read']) });
    assertGraphError(bobToken, 401, 'InvalidAuthenticationToken');

    const enable = await call(h, 'PATCH', `/v1.0/users/${before.id}`, {
      token: admin,
      body: { accountEnabled: true },
      headers: { 'client-request-id': 'enable-bob' },
    });
    assert.equal(enable.status, 204);
    const enabled = await reload(h, before);
    assert.equal(enabled.accountEnabled, true);
    assert.equal(enabled.revocationEpoch, disabled.revocationEpoch);
    assert.ok(await lastAudit(ACTIVITY.enableAccount, 'enable-bob'));
  });

  test('PATCH passwordProfile: new hash, epoch bumped, Reset password audit', async () => {
    const before = await reload(h, h.users.bob!);
    const res = await call(h, 'PATCH', `/v1.0/users/${before.id}`, {
      token: admin,
      body: { passwordProfile: { password: 'N3w-Passw0rd!', forceChangePasswordNextSignIn: false } },
      headers: { 'client-request-id': 'reset-bob' },
    });
    assert.equal(res.status, 204, res.body);
    const afterwards = await reload(h, before);
    assert.equal(afterwards.revocationEpoch, before.revocationEpoch + 1);
    assert.ok(afterwards.passwordHash && (await verifySecret(afterwards.passwordHash, 'N3w-Passw0rd!')));
    assert.ok(await lastAudit(ACTIVITY.resetPassword, 'reset-bob'));
    const weak = await call(h, 'PATCH', `/v1.0/users/${before.id}`, { token: admin, body: { passwordProfile: { password: 'weak' } } });
    assertGraphError(weak, 400, 'Request_BadRequest', /password complexity/);
  });

  test('PATCH displayName: Update user audit, no bump; several changes commit together', async () => {
    const before = await reload(h, h.users.bob!);
    const res = await call(h, 'PATCH', `/v1.0/users/bob@contoso.test`, {
      token: admin,
      body: { displayName: 'Robert', accountEnabled: false },
      headers: { 'client-request-id': 'rename-bob' },
    });
    assert.equal(res.status, 204, res.body);
    const afterwards = await reload(h, before);
    assert.equal(afterwards.displayName, 'Robert');
    assert.equal(afterwards.revocationEpoch, before.revocationEpoch + 1);
    const update = await lastAudit(ACTIVITY.updateUser, 'rename-bob');
    assert.deepEqual(update?.targetResources[0]?.modifiedProperties, [
      { displayName: 'DisplayName', oldValue: before.displayName, newValue: 'Robert' },
    ]);
    assert.ok(await lastAudit(ACTIVITY.disableAccount, 'rename-bob'));
    await call(h, 'PATCH', `/v1.0/users/${before.id}`, { token: admin, body: { accountEnabled: true } });
  });

  test('PATCH: a user may rename themself with User.ReadWrite, nothing more', async () => {
    const alice = h.users.alice!;
    const token = delegatedToken(h, 'alice', ['User.ReadWrite']);
    assert.equal((await call(h, 'PATCH', '/v1.0/users/alice@contoso.test', { token, body: { displayName: 'Alice A.' } })).status, 204);
    assert.equal((await reload(h, alice)).displayName, 'Alice A.');
    assertGraphError(
      await call(h, 'PATCH', `/v1.0/users/${alice.id}`, { token, body: { accountEnabled: false } }),
      403,
      'Authorization_RequestDenied',
    );
    assertGraphError(
      await call(h, 'PATCH', `/v1.0/users/${h.users.bob!.id}`, { token, body: { displayName: 'x' } }),
      403,
      'Authorization_RequestDenied',
    );
    assert.equal((await reload(h, alice)).accountEnabled, true);
  });

  test('PATCH: a User Administrator cannot disable or reset a Global Administrator', async () => {
    const ga = await reload(h, h.users.globaladmin!);
    for (const body of [{ accountEnabled: false }, { passwordProfile: { password: 'N3w-Passw0rd!' } }]) {
      assertGraphError(await call(h, 'PATCH', `/v1.0/users/${ga.id}`, { token: admin, body }), 403, 'Authorization_RequestDenied');
    }
    const unchanged = await reload(h, ga);
    assert.equal(unchanged.accountEnabled, true);
    assert.equal(unchanged.revocationEpoch, ga.revocationEpoch);
    // A Global Administrator can.
    const byGa = await call(h, 'PATCH', `/v1.0/users/${h.users.privauthadmin!.id}`, {
      token: delegatedToken(h, 'globaladmin', ['Directory.ReadWrite.All']),
      body: { accountEnabled: false },
    });
    assert.equal(byGa.status, 204, byGa.body);
  });

  test('PATCH body errors', async () => {
    const url = `/v1.0/users/${h.users.bob!.id}`;
    assertGraphError(
      await call(h, 'PATCH', url, { token: admin, body: { nickname: 'x' } }),
      400,
      'Request_BadRequest',
      /does not exist on type/,
    );
    assertGraphError(
      await call(h, 'PATCH', url, { token: admin, body: { jobTitle: 'CEO' } }),
      400,
      'Request_BadRequest',
      /not supported by Portcullis/,
    );
    assertGraphError(
      await call(h, 'PATCH', url, { token: admin, body: { displayName: 42 } }),
      400,
      'Request_BadRequest',
      /Invalid value specified for property 'displayName'/,
    );
    assertGraphError(await call(h, 'PATCH', url, { token: admin, body: { displayName: '   ' } }), 400, 'Request_BadRequest');
    assertGraphError(
      await call(h, 'PATCH', url, { token: admin, body: { passwordProfile: {} } }),
      400,
      'Request_BadRequest',
      /passwordProfile.password/,
    );
    assertGraphError(await call(h, 'PATCH', url, { token: admin }), 400, 'Request_BadRequest', 'Empty Payload. JSON content expected.');
  });

  test('DELETE /users/{id}: 204, gone, Delete user audit; role rule and 404', async () => {
    const created = await call(h, 'POST', '/v1.0/users', { token: admin, body: newUser('temp') });
    assert.equal(created.status, 201, created.body);
    const id = created.json.id as string;
    assertGraphError(
      await call(h, 'DELETE', `/v1.0/users/${h.users.globaladmin!.id}`, { token: admin }),
      403,
      'Authorization_RequestDenied',
    );
    assertGraphError(
      await call(h, 'DELETE', `/v1.0/users/${id}`, { token: delegatedToken(h, 'alice', ['User.ReadWrite.All']) }),
      403,
      'Authorization_RequestDenied',
    );
    const res = await call(h, 'DELETE', `/v1.0/users/${id}`, { token: admin, headers: { 'client-request-id': 'delete-temp' } });
    assert.equal(res.status, 204, res.body);
    assertGraphError(await call(h, 'GET', `/v1.0/users/${id}`, { token: admin }), 404, 'Request_ResourceNotFound');
    assertGraphError(await call(h, 'DELETE', `/v1.0/users/${id}`, { token: admin }), 404, 'Request_ResourceNotFound');
    const record = await lastAudit(ACTIVITY.deleteUser, 'delete-temp');
    assert.equal(record?.operationType, 'Delete');
    assert.equal(record?.targetResources[0]?.userPrincipalName, 'temp@contoso.test');
  });

  test('an app with User.ReadWrite.All may disable a user without roles, not a role holder', async () => {
    const token = appToken(h, ['User.ReadWrite.All'], APP.webApp);
    const refused = await call(h, 'PATCH', `/v1.0/users/${h.users.useradmin!.id}`, { token, body: { accountEnabled: false } });
    assertGraphError(refused, 403, 'Authorization_RequestDenied');
    assert.equal((await reload(h, h.users.useradmin!)).accountEnabled, true);
    const res = await call(h, 'PATCH', `/v1.0/users/${h.users.bob!.id}`, { token, body: { accountEnabled: false } });
    assert.equal(res.status, 204, res.body);
    assert.equal((await call(h, 'PATCH', `/v1.0/users/${h.users.bob!.id}`, { token, body: { accountEnabled: true } })).status, 204);
  });

  test('PATCH userPrincipalName renames the user (Update user record); a taken UPN is 400 ObjectConflict', async () => {
    const admin = delegatedToken(h, 'useradmin', ['User.ReadWrite.All']);
    const id = h.users.bob!.id;
    const res = await call(h, 'PATCH', `/v1.0/users/${id}`, {
      token: admin,
      body: { userPrincipalName: 'robert@contoso.test' },
      headers: { 'client-request-id': 'rename-bob' },
    });
    assert.equal(res.status, 204, res.body);
    assert.equal((await reload(h, id)).userPrincipalName, 'robert@contoso.test');
    const record = await lastAudit(ACTIVITY.updateUser, 'rename-bob');
    assert.deepEqual(record?.targetResources[0]?.modifiedProperties, [
      { displayName: 'UserPrincipalName', oldValue: 'bob@contoso.test', newValue: 'robert@contoso.test' },
    ]);
    const taken = await call(h, 'PATCH', `/v1.0/users/${id}`, { token: admin, body: { userPrincipalName: 'ALICE@contoso.test' } });
    assertGraphError(taken, 400, 'Request_BadRequest', 'Another object with the same value for property userPrincipalName already exists.');
    const foreign = await call(h, 'PATCH', `/v1.0/users/${id}`, { token: admin, body: { userPrincipalName: 'bob@fabrikam.test' } });
    assertGraphError(foreign, 400, 'Request_BadRequest', /domain portion of the userPrincipalName/);
    assert.equal(
      (await call(h, 'PATCH', `/v1.0/users/${id}`, { token: admin, body: { userPrincipalName: 'bob@contoso.test' } })).status,
      204,
    );
  });
});
