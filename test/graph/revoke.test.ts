import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACTIVITY } from '../../src/core/audit.js';
import { GRAPH_CONTENT_TYPE } from '../../src/graph/http.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { APP, ManualClock, PUBLIC_URL, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, reload } from './graph-helpers.js';

const REVOKE = ['User.RevokeSessions.All'];
const V1_BOOLEAN = { '@odata.context': `${PUBLIC_URL}/v1.0/$metadata#Edm.Boolean`, value: true };
const BETA_BOOLEAN = { '@odata.context': `${PUBLIC_URL}/beta/$metadata#Edm.Boolean`, value: true };

describe('revokeSignInSessions: paths, response and effects', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0, 250));
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(() => h.close());

  // Each revoke happens a little later, so the stamps of consecutive revokes differ.
  const tick = () => clock.advance(1500);

  test('POST /v1.0/users/{id}/revokeSignInSessions answers 200 Edm.Boolean and revokes in one durable step', async () => {
    tick();
    const bob = await reload(h, h.users.bob!);
    const res = await call(h, 'POST', `/v1.0/users/${bob.id}/revokeSignInSessions`, {
      token: delegatedToken(h, 'globaladmin', REVOKE),
      body: {},
      headers: { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000001' },
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['content-type'], GRAPH_CONTENT_TYPE);
    assert.deepEqual(res.json, V1_BOOLEAN);
    assert.match(String(res.headers['request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['client-request-id'], 'c0ffee00-0000-4000-8000-000000000001');

    // Read through a second connection to the same file: the change is committed when answered.
    const other = openSqliteStore(h.dbFile);
    try {
      const after = await other.users.findById(TENANT_ID, bob.id);
      assert.ok(after);
      assert.equal(after.revocationEpoch, bob.revocationEpoch + 1);
      assert.equal(after.signInSessionsValidFrom, clock.now());
      assert.equal(after.refreshTokensValidFrom, clock.now());
      const [record] = await other.audit.list({ tenantId: TENANT_ID, activityDisplayName: ACTIVITY.revokeSessions, limit: 1 });
      assert.ok(record);
      assert.equal(record.correlationId, 'c0ffee00-0000-4000-8000-000000000001');
      assert.equal(record.targetResources[0]?.id, bob.id);
    } finally {
      await other.close();
    }
  });

  test('the valid-from timestamps are readable through $select, equal, ISO-8601 UTC', async () => {
    const res = await call(
      h,
      'GET',
      `/v1.0/users/${h.users.bob!.id}?$select=signInSessionsValidFromDateTime,refreshTokensValidFromDateTime`,
      { token: delegatedToken(h, 'globaladmin', ['User.Read.All']) },
    );
    assert.equal(res.status, 200, res.body);
    const expected = new Date(clock.now()).toISOString();
    assert.equal(res.json.signInSessionsValidFromDateTime, expected);
    assert.equal(res.json.refreshTokensValidFromDateTime, expected);
    assert.match(expected, /Z$/);
  });

  test('by userPrincipalName, case-insensitively', async () => {
    tick();
    const before = await reload(h, h.users.bob!);
    const res = await call(h, 'POST', '/v1.0/users/BOB@Contoso.TEST/revokeSignInSessions', {
      token: delegatedToken(h, 'globaladmin', REVOKE),
    });
    assert.equal(res.status, 200, res.body);
    assert.equal((await reload(h, before)).revocationEpoch, before.revocationEpoch + 1);
  });

  test('namespace-qualified form with an empty body, Content-Type json, Content-Length 0 (PowerShell SDK)', async () => {
    tick();
    const before = await reload(h, h.users.bob!);
    const res = await h.app.http.inject({
      method: 'POST',
      url: `/v1.0/users/${before.id}/microsoft.graph.revokeSignInSessions`,
      headers: {
        authorization: `Bearer ${delegatedToken(h, 'globaladmin', REVOKE)}`,
        'content-type': 'application/json',
        'content-length': '0',
      },
      payload: '',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), V1_BOOLEAN);
    assert.equal((await reload(h, before)).revocationEpoch, before.revocationEpoch + 1);
  });

  test('no body and no Content-Type at all', async () => {
    tick();
    const res = await call(h, 'POST', `/v1.0/users/${h.users.bob!.id}/revokeSignInSessions`, {
      token: delegatedToken(h, 'globaladmin', REVOKE),
    });
    assert.equal(res.status, 200, res.body);
  });

  test('case-insensitive path segments, as on graph.microsoft.com', async () => {
    tick();
    const res = await call(h, 'POST', `/v1.0/Users/${h.users.bob!.id}/RevokeSignInSessions`, {
      token: delegatedToken(h, 'globaladmin', REVOKE),
    });
    assert.equal(res.status, 200, res.body);
  });

  test('/me/revokeSignInSessions: a user without an admin role signs out everywhere', async () => {
    tick();
    const before = await reload(h, h.users.alice!);
    const res = await call(h, 'POST', '/v1.0/me/revokeSignInSessions', { token: delegatedToken(h, 'alice', REVOKE) });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json, V1_BOOLEAN);
    const afterwards = await reload(h, before);
    assert.equal(afterwards.revocationEpoch, before.revocationEpoch + 1);
    const [record] = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: ACTIVITY.revokeSessions, limit: 1 });
    assert.deepEqual(record?.initiatedBy, {
      user: { id: before.id, userPrincipalName: 'alice@contoso.test', displayName: before.displayName },
    });
  });

  test('/me/microsoft.graph.revokeSignInSessions and self by id with User.ReadWrite', async () => {
    tick();
    const me = await call(h, 'POST', '/v1.0/me/microsoft.graph.revokeSignInSessions', {
      token: delegatedToken(h, 'alice', ['User.ReadWrite']),
      body: {},
    });
    assert.equal(me.status, 200, me.body);
    tick();
    const byId = await call(h, 'POST', `/v1.0/users/${h.users.alice!.id}/revokeSignInSessions`, {
      token: delegatedToken(h, 'alice', ['User.ReadWrite']),
    });
    assert.equal(byId.status, 200, byId.body);
  });

  test('beta revokeSignInSessions answers with the beta context', async () => {
    tick();
    const res = await call(h, 'POST', `/beta/users/${h.users.bob!.id}/revokeSignInSessions`, {
      token: delegatedToken(h, 'globaladmin', REVOKE),
    });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json, BETA_BOOLEAN);
  });

  test('beta invalidateAllRefreshTokens answers 204 with no body and revokes the same way', async () => {
    for (const path of [
      `/beta/users/${h.users.bob!.id}/invalidateAllRefreshTokens`,
      '/beta/users/bob@contoso.test/microsoft.graph.invalidateAllRefreshTokens',
    ]) {
      tick();
      const before = await reload(h, h.users.bob!);
      const res = await call(h, 'POST', path, { token: delegatedToken(h, 'globaladmin', REVOKE) });
      assert.equal(res.status, 204, res.body);
      assert.equal(res.body, '');
      const afterwards = await reload(h, before);
      assert.equal(afterwards.revocationEpoch, before.revocationEpoch + 1);
      assert.equal(afterwards.signInSessionsValidFrom, clock.now());
      assert.equal(afterwards.refreshTokensValidFrom, clock.now());
    }
  });

  test('beta /me/invalidateAllRefreshTokens for oneself with User.ReadWrite', async () => {
    for (const path of ['/beta/me/invalidateAllRefreshTokens', '/beta/me/microsoft.graph.invalidateAllRefreshTokens']) {
      tick();
      const res = await call(h, 'POST', path, { token: delegatedToken(h, 'alice', ['User.ReadWrite']) });
      assert.equal(res.status, 204, res.body);
    }
  });

  test('invalidateAllRefreshTokens does not exist in v1.0', async () => {
    const token = delegatedToken(h, 'globaladmin', REVOKE);
    for (const path of [`/v1.0/users/${h.users.bob!.id}/invalidateAllRefreshTokens`, '/v1.0/me/invalidateAllRefreshTokens']) {
      const before = await reload(h, h.users.bob!);
      const res = await call(h, 'POST', path, { token });
      assertGraphError(res, 400, 'Request_BadRequest', "Resource not found for the segment 'invalidateAllRefreshTokens'.");
      assert.equal((await reload(h, before)).revocationEpoch, before.revocationEpoch);
    }
  });

  test('the audit record is readable through GET /v1.0/auditLogs/directoryAudits', async () => {
    tick();
    await call(h, 'POST', `/v1.0/users/${h.users.bob!.id}/revokeSignInSessions`, {
      token: delegatedToken(h, 'useradmin', REVOKE),
      headers: { 'client-request-id': 'audit-corr-0001' },
    });
    const res = await call(
      h,
      'GET',
      `/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Update StsRefreshTokenValidFrom Timestamp'&$top=1`,
      { token: delegatedToken(h, 'globaladmin', ['AuditLog.Read.All']) },
    );
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#auditLogs/directoryAudits`);
    const [item] = res.json.value;
    const useradmin = h.users.useradmin!;
    const bob = h.users.bob!;
    assert.deepEqual(item, {
      id: item.id,
      category: 'UserManagement',
      correlationId: 'audit-corr-0001',
      result: 'success',
      resultReason: '',
      activityDisplayName: 'Update StsRefreshTokenValidFrom Timestamp',
      activityDateTime: new Date(clock.now()).toISOString(),
      loggedByService: 'Core Directory',
      operationType: 'Update',
      initiatedBy: {
        user: { id: useradmin.id, displayName: useradmin.displayName, userPrincipalName: useradmin.userPrincipalName, ipAddress: null },
        app: null,
      },
      targetResources: [
        {
          id: bob.id,
          displayName: bob.displayName,
          type: 'User',
          userPrincipalName: bob.userPrincipalName,
          groupType: null,
          modifiedProperties: [
            {
              displayName: 'StsRefreshTokensValidFrom',
              oldValue: item.targetResources[0].modifiedProperties[0].oldValue,
              newValue: new Date(clock.now()).toISOString(),
            },
          ],
        },
      ],
      // The revoke's receipt (docs/receipts.md): where it is and what it cut.
      additionalDetails: [
        { key: 'revocationReceipt', value: `${PUBLIC_URL}/v1.0/auditLogs/revocationReceipts/audit-corr-0001` },
        { key: 'sessionsRevoked', value: item.additionalDetails[1].value },
        { key: 'grantsRevoked', value: item.additionalDetails[2].value },
        { key: 'refreshTokensRevoked', value: item.additionalDetails[3].value },
      ],
    });
    assert.match(item.id, /^[0-9a-f-]{36}$/);
  });
});

describe('revokeSignInSessions: permissions and targets', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  const revokeBob = (token: string) => call(h, 'POST', `/v1.0/users/${h.users.bob!.id}/revokeSignInSessions`, { token });

  test('a scope that does not include revocation is refused with 403 and changes nothing', async () => {
    const before = await reload(h, h.users.bob!);
    const res = await revokeBob(delegatedToken(h, 'globaladmin', ['User.Read.All', 'AuditLog.Read.All']));
    assertGraphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    assert.equal((await reload(h, before)).revocationEpoch, before.revocationEpoch);
  });

  test('User.ReadWrite.All and Directory.ReadWrite.All also grant it (higher privileged)', async () => {
    for (const scope of ['User.ReadWrite.All', 'Directory.ReadWrite.All', 'user.revokesessions.all']) {
      const res = await revokeBob(delegatedToken(h, 'helpdesk', [scope]));
      assert.equal(res.status, 200, `${scope}: ${res.body}`);
    }
  });

  test('User.ReadWrite is only for oneself', async () => {
    const res = await revokeBob(delegatedToken(h, 'globaladmin', ['User.ReadWrite']));
    assertGraphError(res, 403, 'Authorization_RequestDenied');
  });

  test('a user without an admin role cannot revoke someone else', async () => {
    assertGraphError(await revokeBob(delegatedToken(h, 'alice', ['User.RevokeSessions.All'])), 403, 'Authorization_RequestDenied');
  });

  test('invalidateAllRefreshTokens: User.RevokeSessions.All / Directory.ReadWrite.All, not User.ReadWrite.All', async () => {
    const path = `/beta/users/${h.users.bob!.id}/invalidateAllRefreshTokens`;
    assert.equal((await call(h, 'POST', path, { token: delegatedToken(h, 'helpdesk', ['Directory.ReadWrite.All']) })).status, 204);
    const denied = await call(h, 'POST', path, { token: delegatedToken(h, 'globaladmin', ['User.ReadWrite.All', 'User.ReadWrite']) });
    assertGraphError(denied, 403, 'Authorization_RequestDenied');
  });

  test('application permission User.RevokeSessions.All revokes and is audited as the app', async () => {
    const before = await reload(h, h.users.globaladmin!);
    const res = await call(h, 'POST', '/v1.0/users/globaladmin@contoso.test/revokeSignInSessions', {
      token: appToken(h, ['User.RevokeSessions.All']),
      headers: { 'client-request-id': 'app-revoke-0001' },
    });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json, V1_BOOLEAN);
    assert.equal((await reload(h, before)).revocationEpoch, before.revocationEpoch + 1);
    const records = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: ACTIVITY.revokeSessions, limit: 50 });
    const record = records.find((r) => r.correlationId === 'app-revoke-0001');
    assert.deepEqual(record?.initiatedBy, { app: { appId: APP.webApp, displayName: 'Web App' } });
    assert.equal(record?.targetResources[0]?.id, before.id);
  });

  test('an application without User.RevokeSessions.All is refused', async () => {
    const res = await revokeBob(appToken(h, ['User.ReadWrite.All', 'Directory.ReadWrite.All'], APP.daemonNoPerms));
    assertGraphError(res, 403, 'Authorization_RequestDenied');
  });

  test('applications cannot call invalidateAllRefreshTokens (not supported)', async () => {
    const res = await call(h, 'POST', `/beta/users/${h.users.bob!.id}/invalidateAllRefreshTokens`, {
      token: appToken(h, ['User.RevokeSessions.All', 'Directory.ReadWrite.All']),
    });
    assertGraphError(res, 403, 'Authorization_RequestDenied');
  });

  test('/me with an app-only token is a 400', async () => {
    for (const path of ['/v1.0/me/revokeSignInSessions', '/beta/me/invalidateAllRefreshTokens']) {
      const res = await call(h, 'POST', path, { token: appToken(h, ['User.RevokeSessions.All']) });
      assertGraphError(res, 400, 'Request_BadRequest', '/me request is only valid with delegated authentication flow.');
    }
  });

  test('a malformed identifier is a 400, an unknown user a 404', async () => {
    const token = delegatedToken(h, 'globaladmin', REVOKE);
    assertGraphError(
      await call(h, 'POST', '/v1.0/users/not-an-id/revokeSignInSessions', { token }),
      400,
      'Request_BadRequest',
      "Invalid object identifier 'not-an-id'.",
    );
    const ghost = '0b6c1d8e-1111-4222-8333-944455556666';
    assertGraphError(
      await call(h, 'POST', `/v1.0/users/${ghost}/revokeSignInSessions`, { token }),
      404,
      'Request_ResourceNotFound',
      `Resource '${ghost}' does not exist or one of its queried reference-property objects are not present.`,
    );
    assertGraphError(
      await call(h, 'POST', '/v1.0/users/nobody@contoso.test/revokeSignInSessions', { token }),
      404,
      'Request_ResourceNotFound',
    );
  });

  test('client-request-id is echoed in headers and in the error body', async () => {
    const res = await call(h, 'POST', '/v1.0/users/nobody@contoso.test/revokeSignInSessions', {
      token: delegatedToken(h, 'globaladmin', REVOKE),
      headers: { 'client-request-id': 'my-client-request-1' },
    });
    assert.equal(res.headers['client-request-id'], 'my-client-request-1');
    assert.equal(res.json.error.innerError['client-request-id'], 'my-client-request-1');
    assert.notEqual(res.headers['request-id'], 'my-client-request-1');
  });
});
