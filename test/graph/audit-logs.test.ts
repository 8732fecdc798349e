import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACTIVITY } from '../../src/core/audit.js';
import { APP, ManualClock, PUBLIC_URL, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, pathOf } from './graph-helpers.js';

describe('GET /auditLogs/directoryAudits', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 8, 0, 0));
  const revoked: string[] = [];
  before(async () => {
    h = await makeHarness({ clock });
    // Five revokes a second apart, then one disable: a known, ordered log.
    for (const key of ['bob', 'alice', 'helpdesk', 'passwordadmin', 'authadmin']) {
      clock.advance(1000);
      const res = await call(h, 'POST', `/v1.0/users/${key}@contoso.test/revokeSignInSessions`, {
        token: appToken(h, ['User.RevokeSessions.All']),
        headers: { 'client-request-id': `revoke-${key}` },
      });
      assert.equal(res.status, 200, res.body);
      revoked.push(key);
    }
    clock.advance(1000);
    await call(h, 'PATCH', '/v1.0/users/bob@contoso.test', {
      token: delegatedToken(h, 'globaladmin', ['User.ReadWrite.All']),
      body: { accountEnabled: false },
    });
  });
  after(() => h.close());

  const reader = () => delegatedToken(h, 'globaladmin', ['AuditLog.Read.All']);
  const filter = (activity: string) => `$filter=${encodeURIComponent(`activityDisplayName eq '${activity}'`)}`;

  test('newest first; an app initiator is shaped as Graph does', async () => {
    const res = await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?${filter(ACTIVITY.revokeSessions)}`, { token: reader() });
    assert.equal(res.status, 200, res.body);
    const items = res.json.value;
    assert.deepEqual(
      items.map((i: { correlationId: string }) => i.correlationId),
      [...revoked].reverse().map((k) => `revoke-${k}`),
    );
    assert.deepEqual(items[0].initiatedBy, {
      user: null,
      app: { appId: APP.webApp, displayName: 'Web App', servicePrincipalId: null, servicePrincipalName: null },
    });
    assert.equal(items[0].activityDateTime, new Date(Date.UTC(2026, 4, 1, 8, 0, 5)).toISOString());
  });

  test('without a filter every activity is listed', async () => {
    const res = await call(h, 'GET', '/beta/auditLogs/directoryAudits', { token: reader() });
    assert.equal(res.json['@odata.context'], `${PUBLIC_URL}/beta/$metadata#auditLogs/directoryAudits`);
    assert.equal(res.json.value[0].activityDisplayName, ACTIVITY.disableAccount);
    assert.equal(res.json.value.length, 6);
  });

  test('$top pages with nextLink, keeping the filter', async () => {
    const seen: string[] = [];
    let url: string | undefined = `/v1.0/auditLogs/directoryAudits?${filter(ACTIVITY.revokeSessions)}&$top=2`;
    while (url) {
      const res = await call(h, 'GET', url, { token: reader() });
      assert.equal(res.status, 200, res.body);
      for (const item of res.json.value) seen.push(item.correlationId);
      const next: string | undefined = res.json['@odata.nextLink'];
      if (next)
        assert.match(next, /^https:\/\/login\.portcullis\.test\/v1\.0\/auditLogs\/directoryAudits\?\$filter=.*&\$top=2&\$skiptoken=/);
      url = next ? pathOf(next) : undefined;
    }
    assert.deepEqual(
      seen,
      [...revoked].reverse().map((k) => `revoke-${k}`),
    );
  });

  test('permissions: AuditLog.Read.All plus a reader role, or the application permission', async () => {
    const url = '/v1.0/auditLogs/directoryAudits';
    assertGraphError(
      await call(h, 'GET', url, { token: delegatedToken(h, 'alice', ['AuditLog.Read.All']) }),
      403,
      'Authorization_RequestDenied',
    );
    assertGraphError(
      await call(h, 'GET', url, { token: delegatedToken(h, 'globaladmin', ['User.Read.All']) }),
      403,
      'Authorization_RequestDenied',
    );
    assert.equal((await call(h, 'GET', url, { token: delegatedToken(h, 'useradmin', ['AuditLog.Read.All']) })).status, 200);
    assert.equal((await call(h, 'GET', url, { token: appToken(h, ['AuditLog.Read.All']) })).status, 200);
    assertGraphError(await call(h, 'GET', url, { token: appToken(h, ['User.RevokeSessions.All']) }), 403, 'Authorization_RequestDenied');
  });

  test('unsupported filters and options', async () => {
    for (const q of [
      `$filter=${encodeURIComponent("category eq 'UserManagement'")}`,
      `$filter=${encodeURIComponent("startswith(activityDisplayName,'U')")}`,
    ]) {
      assertGraphError(
        await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?${q}`, { token: reader() }),
        400,
        'Request_UnsupportedQuery',
        'Unsupported query.',
      );
    }
    assertGraphError(
      await call(h, 'GET', '/v1.0/auditLogs/directoryAudits?$select=id', { token: reader() }),
      400,
      'Request_UnsupportedQuery',
    );
    assertGraphError(await call(h, 'GET', '/v1.0/auditLogs/directoryAudits?$top=0', { token: reader() }), 400, 'Request_BadRequest');
    const usersToken = Buffer.from(JSON.stringify({ c: 'users', p: { after: 'x' } })).toString('base64url');
    assertGraphError(
      await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?$skiptoken=${usersToken}`, { token: reader() }),
      400,
      'Directory_ExpiredPageToken',
    );
  });
});
