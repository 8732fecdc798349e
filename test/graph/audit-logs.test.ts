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

  const idOf = async (upn: string): Promise<string> => {
    const res = await call(h, 'GET', `/v1.0/users/${upn}`, { token: delegatedToken(h, 'globaladmin', ['User.Read.All']) });
    assert.equal(res.status, 200, res.body);
    return res.json.id;
  };
  const list = async (f: string) => {
    const res = await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(f)}`, { token: reader() });
    assert.equal(res.status, 200, res.body);
    return res.json.value as { activityDisplayName: string; correlationId: string; targetResources: { id: string }[] }[];
  };

  test('by target: the lambda with any variable name and spacing, alone or with the activity', async () => {
    const bob = await idOf('bob@contoso.test');
    for (const f of [
      `targetResources/any(t:t/id eq '${bob}')`,
      `TargetResources/any( x : x/id  eq  '${bob}' )`,
      `targetResources/any(t:t/id eq '${bob.toUpperCase()}')`,
    ]) {
      const items = await list(f);
      assert.deepEqual(
        items.map((i) => i.activityDisplayName),
        [ACTIVITY.disableAccount, ACTIVITY.revokeSessions],
        f,
      );
      for (const i of items) assert.ok(i.targetResources.some((t) => t.id === bob));
    }
    assert.deepEqual(
      (await list(`targetResources/any(t:t/id eq '${bob}') and activityDisplayName eq '${ACTIVITY.revokeSessions}'`)).map(
        (i) => i.correlationId,
      ),
      ['revoke-bob'],
    );
    assert.deepEqual(
      (await list(`activityDisplayName eq '${ACTIVITY.disableAccount}' and targetResources/any(r:r/id eq '${bob}')`)).map(
        (i) => i.activityDisplayName,
      ),
      [ACTIVITY.disableAccount],
    );
    assert.deepEqual(await list("targetResources/any(t:t/id eq '00000000-0000-0000-0000-000000000000')"), []);
  });

  test('by initiating user, paged with nextLink keeping the filter', async () => {
    const admin = await idOf('globaladmin@contoso.test');
    const items = await list(`initiatedBy/user/id eq '${admin}'`);
    assert.deepEqual(
      items.map((i) => i.activityDisplayName),
      [ACTIVITY.disableAccount],
    );
    const bob = await idOf('bob@contoso.test');
    const seen: string[] = [];
    let url: string | undefined =
      `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(`targetResources/any(t:t/id eq '${bob}')`)}&$top=1`;
    for (let page = 0; url && page < 5; page++) {
      const res = await call(h, 'GET', url, { token: reader() });
      assert.equal(res.status, 200, res.body);
      for (const item of res.json.value) seen.push(item.activityDisplayName);
      const next: string | undefined = res.json['@odata.nextLink'];
      url = next ? pathOf(next) : undefined;
    }
    assert.deepEqual(seen, [ACTIVITY.disableAccount, ACTIVITY.revokeSessions]);
  });

  test('unsupported filters and options', async () => {
    for (const q of [
      `$filter=${encodeURIComponent("category eq 'UserManagement'")}`,
      `$filter=${encodeURIComponent("startswith(activityDisplayName,'U')")}`,
      `$filter=${encodeURIComponent("targetResources/any(t:u/id eq 'x')")}`,
      `$filter=${encodeURIComponent("targetResources/any(t:t/displayName eq 'x')")}`,
      `$filter=${encodeURIComponent("targetResources/any(t:t/id eq 'x') and targetResources/any(t:t/id eq 'y')")}`,
      `$filter=${encodeURIComponent("targetResources/any(t:t/id eq 'x') and initiatedBy/user/id eq 'y'")}`,
      `$filter=${encodeURIComponent("targetResources/any(t:t/id eq 'x') or activityDisplayName eq 'y'")}`,
      `$filter=${encodeURIComponent("activityDisplayName eq 'y' and")}`,
      `$filter=${encodeURIComponent("initiatedBy/app/appId eq 'x'")}`,
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
