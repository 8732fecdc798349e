/**
 * The sign-in log end to end: sign-ins made through the real identity endpoints (sign-in form,
 * SSO cookie, refresh, device code), read back through Graph `/auditLogs/signIns` and
 * `signInActivity`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP, ManualClock, PASSWORD, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { formSignIn, passwordGrant, SOURCE_A } from '../abuse/abuse-helpers.js';
import { CookieJar, authorizeUrl, pkcePair, refresh, signIn } from '../helpers/browser-flow.js';
import { assertGraphError, call, pathOf } from './graph-helpers.js';

const FIREFOX = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:126.0) Gecko/20100101 Firefox/126.0';

/** One password attempt on the sign-in form from SOURCE_A: 302 = signed in, 200 = the form again. */
const postSignIn = async (h: Harness, username: string, password: string, headers: Record<string, string> = {}) =>
  (await formSignIn(h, username, password, SOURCE_A, headers)).status;

describe('GET /auditLogs/signIns', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 8, 0, 0));
  const reader = () => delegatedToken(h, 'globaladmin', ['AuditLog.Read.All', 'User.Read.All']);
  const list = async (url: string) => {
    const res = await call(h, 'GET', url, { token: reader() });
    assert.equal(res.status, 200, res.body);
    return res.json.value as Record<string, any>[];
  };
  let bobRefresh = '';
  let firstFailureAt = '';

  before(async () => {
    h = await makeHarness({ clock });
    const ua = { 'user-agent': FIREFOX, 'client-request-id': 'wrong-password-1' };
    clock.advance(1000);
    firstFailureAt = new Date(clock.now()).toISOString();
    assert.equal(await postSignIn(h, 'alice@contoso.test', 'not-the-password', ua), 200);
    clock.advance(1000);
    assert.equal(await postSignIn(h, 'disabled@contoso.test', PASSWORD), 200);
    clock.advance(1000);
    const jar = new CookieJar();
    const { tokens } = await signIn(h, 'bob@contoso.test', jar);
    bobRefresh = tokens.refresh_token!;
    clock.advance(1000);
    // The SSO cookie signs bob in again without a form.
    const sso = await h.app.http.inject({ method: 'GET', url: authorizeUrl({}, pkcePair()), headers: { cookie: jar.header() } });
    assert.equal(sso.statusCode, 302);
    clock.advance(1000);
    const refreshed = await refresh(h, bobRefresh);
    assert.equal(refreshed.status, 200);
    clock.advance(1000);
    const revoked = await call(h, 'POST', '/v1.0/users/bob@contoso.test/revokeSignInSessions', {
      token: appToken(h, ['User.RevokeSessions.All']),
    });
    assert.equal(revoked.status, 200);
    clock.advance(1000);
    const refused = await refresh(h, String(refreshed.body.refresh_token));
    assert.equal(refused.status, 400);
  });
  after(() => h.close());

  test('v1.0 lists interactive sign-ins, newest first, successes and failures with their AADSTS codes', async () => {
    const items = await list('/v1.0/auditLogs/signIns');
    assert.deepEqual(
      items.map((i) => [i.userPrincipalName, i.status.errorCode, i.isInteractive]),
      [
        ['bob@contoso.test', 0, true], // SSO cookie
        ['bob@contoso.test', 0, true], // password on the sign-in page
        ['disabled@contoso.test', 50057, true],
        ['alice@contoso.test', 50126, true],
      ],
    );
    const failed = items[3]!;
    assert.equal(failed.createdDateTime, firstFailureAt);
    assert.equal(failed.userId, h.users.alice!.id);
    assert.equal(failed.userDisplayName, 'Alice');
    assert.equal(failed.appId, APP.publicClient);
    assert.equal(failed.appDisplayName, 'Public Client');
    assert.equal(failed.clientAppUsed, 'Browser');
    assert.equal(failed.correlationId, 'wrong-password-1');
    assert.equal(failed.ipAddress, SOURCE_A, 'the client address of the request');
    assert.deepEqual([failed.deviceDetail.browser, failed.deviceDetail.operatingSystem], ['Firefox 126', 'macOS']);
    assert.match(failed.status.failureReason, /invalid username or password/);
    assert.equal(failed.resourceDisplayName, 'Microsoft Graph');
    assert.equal(items[0]!.status.failureReason, null);
    assert.equal(items[0]!.signInEventTypes, undefined, 'signInEventTypes is a beta property');
  });

  test('beta reaches non-interactive sign-ins: the refresh, and the refresh refused after the revoke (AADSTS50173)', async () => {
    const filter = encodeURIComponent("signInEventTypes/any(t: t eq 'nonInteractiveUser')");
    const items = await list(`/beta/auditLogs/signIns?$filter=${filter}`);
    assert.deepEqual(
      items.map((i) => [i.userPrincipalName, i.status.errorCode, i.isInteractive, i.signInEventTypes[0]]),
      [
        ['bob@contoso.test', 50173, false, 'nonInteractiveUser'],
        ['bob@contoso.test', 0, false, 'nonInteractiveUser'],
      ],
    );
    assert.equal(items[0]!.clientAppUsed, 'Mobile Apps and Desktop clients');
    // Without the filter beta lists interactive ones, as Graph.
    assert.ok((await list('/beta/auditLogs/signIns')).every((i) => i.isInteractive));
  });

  test('$filter on userId, userPrincipalName, appId, createdDateTime and status/errorCode', async () => {
    const q = (f: string) => list(`/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(f)}`);
    assert.equal((await q(`userId eq '${h.users.bob!.id}'`)).length, 2);
    assert.equal((await q("userPrincipalName eq 'ALICE@contoso.test'")).length, 1);
    assert.equal((await q(`appId eq '${APP.publicClient}'`)).length, 4);
    assert.equal((await q(`appId eq '${APP.spa}'`)).length, 0);
    assert.equal((await q('status/errorCode eq 50126')).length, 1);
    assert.equal((await q(`createdDateTime ge ${firstFailureAt} and createdDateTime le ${firstFailureAt}`)).length, 1);
    assert.equal((await q(`createdDateTime gt ${firstFailureAt} and userPrincipalName eq 'bob@contoso.test'`)).length, 2);
    const bad = await call(h, 'GET', `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent("ipAddress eq '1.2.3.4'")}`, {
      token: reader(),
    });
    assertGraphError(bad, 400, 'Request_UnsupportedQuery');
    const v1Types = encodeURIComponent("signInEventTypes/any(t: t eq 'nonInteractiveUser')");
    assertGraphError(
      await call(h, 'GET', `/v1.0/auditLogs/signIns?$filter=${v1Types}`, { token: reader() }),
      400,
      'Request_UnsupportedQuery',
    );
  });

  test('$top pages with @odata.nextLink; GET by id', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/v1.0/auditLogs/signIns?$top=3';
    while (url) {
      const res = await call(h, 'GET', url, { token: reader() });
      assert.equal(res.status, 200, res.body);
      seen.push(...res.json.value.map((i: { id: string }) => i.id));
      url = res.json['@odata.nextLink'] ? pathOf(res.json['@odata.nextLink']) : undefined;
    }
    assert.equal(seen.length, 4);
    assert.equal(new Set(seen).size, 4);
    const one = await call(h, 'GET', `/v1.0/auditLogs/signIns/${seen[3]}`, { token: reader() });
    assert.equal(one.status, 200);
    assert.equal(one.json.userPrincipalName, 'alice@contoso.test');
    assertGraphError(
      await call(h, 'GET', '/v1.0/auditLogs/signIns/00000000-0000-4000-8000-000000000000', { token: reader() }),
      404,
      'Request_ResourceNotFound',
    );
  });

  test('signInActivity: only on $select, only for log readers', async () => {
    const res = await call(h, 'GET', '/v1.0/users/bob@contoso.test?$select=displayName,signInActivity', { token: reader() });
    assert.equal(res.status, 200, res.body);
    const a = res.json.signInActivity;
    const beta = await list(`/beta/auditLogs/signIns?$filter=${encodeURIComponent("signInEventTypes/any(t: t eq 'nonInteractiveUser')")}`);
    const interactive = await list(`/v1.0/auditLogs/signIns?$filter=${encodeURIComponent("userPrincipalName eq 'bob@contoso.test'")}`);
    assert.equal(a.lastSignInRequestId, interactive[0]!.id);
    assert.equal(a.lastSignInDateTime, interactive[0]!.createdDateTime);
    // The refused refresh was the last non-interactive attempt; the one before it the last success.
    assert.equal(a.lastNonInteractiveSignInRequestId, beta[0]!.id);
    assert.equal(a.lastSuccessfulSignInRequestId, beta[1]!.id);
    const never = await call(h, 'GET', '/v1.0/users/useradmin@contoso.test?$select=signInActivity', { token: reader() });
    assert.equal(never.json.signInActivity, null);
    const plain = await call(h, 'GET', '/v1.0/users/bob@contoso.test', { token: reader() });
    assert.equal(plain.json.signInActivity, undefined);
    const star = await call(h, 'GET', '/v1.0/users/bob@contoso.test?$select=*', { token: delegatedToken(h, 'alice', ['User.Read.All']) });
    assert.equal(star.status, 200);
    assert.equal(star.json.signInActivity, undefined, '* does not select signInActivity');
    const refused = await call(h, 'GET', '/v1.0/users/bob@contoso.test?$select=signInActivity', {
      token: delegatedToken(h, 'useradmin', ['User.Read.All', 'AuditLog.Read.All']),
    });
    assertGraphError(refused, 403, 'Authorization_RequestDenied');
    const listed = await call(h, 'GET', '/v1.0/users?$select=userPrincipalName,signInActivity', { token: reader() });
    const bob = listed.json.value.find((u: { userPrincipalName: string }) => u.userPrincipalName === 'bob@contoso.test');
    assert.equal(bob.signInActivity.lastSignInRequestId, a.lastSignInRequestId);
  });

  test('callers without AuditLog.Read.All or a reader role are refused', async () => {
    for (const token of [
      delegatedToken(h, 'globaladmin', ['User.Read.All']),
      delegatedToken(h, 'useradmin', ['AuditLog.Read.All']),
      appToken(h, ['User.Read.All']),
    ]) {
      assertGraphError(await call(h, 'GET', '/v1.0/auditLogs/signIns', { token }), 403, 'Authorization_RequestDenied');
    }
    assert.equal((await call(h, 'GET', '/v1.0/auditLogs/signIns', { token: appToken(h, ['AuditLog.Read.All']) })).status, 200);
  });
});

describe('sign-in log options', () => {
  test('IP recording off: ipAddress is empty; the user agent is kept', async () => {
    const h = await makeHarness({ config: { signIns: { recordIpAddress: false } } });
    try {
      await postSignIn(h, 'alice@contoso.test', 'nope', { 'user-agent': FIREFOX });
      const res = await call(h, 'GET', '/beta/auditLogs/signIns', { token: delegatedToken(h, 'globaladmin', ['AuditLog.Read.All']) });
      assert.equal(res.json.value.length, 1);
      assert.equal(res.json.value[0].ipAddress, '');
      assert.equal(res.json.value[0].userAgent, FIREFOX);
      const [stored] = await h.store.signIns.list({ tenantId: TENANT_ID, limit: 5 });
      assert.equal(stored!.ipAddress, null);
    } finally {
      await h.close();
    }
  });

  test('a locked account is logged with AADSTS50053; the ROPC grant is logged too', async () => {
    const policy = { threshold: 2, lockoutSeconds: 60, maxLockoutSeconds: 3600, resetAfterSeconds: 3600 };
    const h = await makeHarness({ config: { abuse: { userSignIn: policy } } });
    try {
      for (let i = 0; i < 3; i++) await postSignIn(h, 'alice@contoso.test', 'nope');
      const ropc = await passwordGrant(h, 'bob@contoso.test', PASSWORD);
      assert.equal(ropc.status, 200, JSON.stringify(ropc.body));
      await h.app.services.signIns.flush();
      const rows = await h.store.signIns.list({ tenantId: TENANT_ID, limit: 10 });
      assert.deepEqual(
        rows.map((r) => [r.userPrincipalName, r.errorCode, r.authenticationProtocol]),
        [
          ['bob@contoso.test', 0, 'ropc'],
          ['alice@contoso.test', 50053, 'oAuth2'],
          ['alice@contoso.test', 50126, 'oAuth2'],
          ['alice@contoso.test', 50126, 'oAuth2'],
        ],
      );
    } finally {
      await h.close();
    }
  });

  test('a user name that does not exist is logged with AADSTS50034, the name typed and an empty userId; the client still gets 50126', async () => {
    const h = await makeHarness();
    try {
      assert.equal(await postSignIn(h, 'Nobody@contoso.test', 'whatever-1A'), 200);
      const ropc = await passwordGrant(h, 'Ghost@contoso.test', 'whatever-1A');
      assert.equal(ropc.status, 400);
      assert.match(String(ropc.body.error_description), /^AADSTS50126:/, 'the same answer as a wrong password');
      const known = await passwordGrant(h, 'alice@contoso.test', 'not-the-password');
      assert.match(String(known.body.error_description), /^AADSTS50126:/);
      const res = await call(h, 'GET', '/v1.0/auditLogs/signIns', { token: delegatedToken(h, 'globaladmin', ['AuditLog.Read.All']) });
      assert.equal(res.status, 200, res.body);
      const rows = (res.json.value as Record<string, any>[]).map((r) => [r.userId, r.userPrincipalName, r.status.errorCode]);
      assert.deepEqual(rows, [
        [h.users.alice!.id, 'alice@contoso.test', 50126],
        ['', 'Ghost@contoso.test', 50034],
        ['', 'Nobody@contoso.test', 50034],
      ]);
      const failure = (res.json.value as Record<string, any>[])[1]!;
      assert.equal(failure.status.failureReason, 'The user account does not exist in the directory.');
    } finally {
      await h.close();
    }
  });
});
