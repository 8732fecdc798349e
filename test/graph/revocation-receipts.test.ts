import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/core/model.js';
import { digestCredential } from '../../src/crypto/digest.js';
import { newGuid } from '../../src/crypto/random.js';
import { CookieJar, refresh, signIn } from '../helpers/browser-flow.js';
import { APP, DOMAIN, PUBLIC_URL, REDIRECT, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { LogoutReceiver } from '../helpers/logout-receiver.js';
import { waitFor } from '../helpers/wait.js';
import { call } from './graph-helpers.js';

/**
 * Revocation receipts over HTTP (docs/receipts.md): every revoke — Graph revoke, disable, password
 * reset, $batch, RFC 7009 — leaves a receipt keyed by its correlation id that names exactly what
 * it cut, and whose delivery outcomes follow the back-channel logout receiver's answers, a failing
 * one included. Real SQLite file, real outbox dispatcher, a real receiver on loopback.
 */
/** The SPA's page redeems its refresh tokens cross-origin (as Entra requires of a spa registration). */
const SPA_PAGE = { origin: new URL(REDIRECT.spa).origin };
const rtId = (refreshToken: string) => digestCredential(refreshToken).slice(0, 16);
const sidOf = (jwt: string | null): unknown => (jwt ? JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sid : undefined);

describe('revocation receipts', () => {
  let h: Harness;
  let receiver: LogoutReceiver;
  const users: Record<string, User> = {};
  const reader = () => delegatedToken(h, 'globaladmin', ['AuditLog.Read.All']);
  const admin = () => appToken(h, ['User.RevokeSessions.All', 'User.ReadWrite.All']);

  before(async () => {
    receiver = await LogoutReceiver.start();
    // The SPA's receiver always fails: its deliveries end 'failed' after maxAttempts.
    receiver.respond = (path) => (path === '/bcl/spa' ? 500 : 200);
    h = await makeHarness({ config: { outbox: { pollIntervalMs: 50, initialBackoffMs: 30, maxBackoffMs: 60, maxAttempts: 3 } } });
    for (const name of ['rc1', 'rc2', 'rc3', 'rc4', 'rc5', 'rc6', 'rc7', 'rc8', 'rc9']) {
      const u: User = { ...h.users.alice!, id: newGuid(), userPrincipalName: `${name}@${DOMAIN}`, mail: null, displayName: name };
      await h.store.users.insert(u);
      users[name] = u;
    }
    for (const [appId, path] of [
      [APP.publicClient, '/bcl/public'],
      [APP.spa, '/bcl/spa'],
    ] as const) {
      const res = await call(h, 'PATCH', `/v1.0/applications/${appId}`, {
        token: appToken(h, ['Application.ReadWrite.All']),
        body: { backchannelLogoutUri: receiver.url(path), backchannelLogoutSessionRequired: false },
      });
      assert.equal(res.status, 204, res.body);
    }
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
  });

  /** One browser: the public client and the SPA share a session. Returns both refresh tokens and the sid. */
  async function signInBoth(key: string) {
    const jar = new CookieJar();
    const a = await signIn(h, `${key}@${DOMAIN}`, jar);
    const b = await signIn(h, `${key}@${DOMAIN}`, jar, {
      clientId: APP.spa,
      redirectUri: REDIRECT.spa,
      scope: 'openid offline_access User.Read',
    });
    const sid = JSON.parse(Buffer.from(a.tokens.id_token!.split('.')[1]!, 'base64url').toString()).sid as string;
    return { publicRt: a.tokens.refresh_token!, spaRt: b.tokens.refresh_token!, sid };
  }

  async function receipt(correlationId: string, token = reader()) {
    return call(h, 'GET', `/v1.0/auditLogs/revocationReceipts/${correlationId}`, { token });
  }

  /** Polls the receipt until its messages are planned and none is pending. */
  async function settledReceipt(correlationId: string): Promise<Record<string, any>> {
    let body: Record<string, any> = {};
    await waitFor(
      `receipt ${correlationId} settled`,
      async () => {
        body = (await receipt(correlationId)).json;
        return body.notifications?.planned === true && body.notifications.pending === 0;
      },
      15_000,
      50,
    );
    return body;
  }

  test('revokeSignInSessions: the receipt names the session, grants and live refresh tokens by app; deliveries settle as the receivers answer', async () => {
    const x = await signInBoth('rc1');
    // The public client refreshes once: its first token is consumed, the new one is what the revoke cuts.
    const refreshed = await refresh(h, x.publicRt);
    assert.equal(refreshed.status, 200);
    const liveRt = (refreshed.body as Record<string, string>).refresh_token!;
    const correlationId = newGuid();
    const res = await call(h, 'POST', `/v1.0/users/${users.rc1!.id}/revokeSignInSessions`, {
      token: admin(),
      headers: { 'client-request-id': correlationId },
    });
    assert.equal(res.status, 200, res.body);

    const first = await receipt(correlationId);
    assert.equal(first.status, 200, first.body);
    const r = first.json;
    assert.equal(r['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#auditLogs/revocationReceipts/$entity`);
    assert.equal(r.correlationId, correlationId);
    assert.equal(r.revocationType, 'revokeSignInSessions');
    assert.deepEqual(r.user, { id: users.rc1!.id, userPrincipalName: users.rc1!.userPrincipalName });
    assert.equal(r.initiatedBy.app.appId, APP.webApp);
    assert.deepEqual(r.sessionIds, [x.sid]);
    assert.deepEqual([r.sessionsRevoked, r.grantsRevoked, r.refreshTokensRevoked], [1, 2, 2]);
    const byApp = Object.fromEntries(r.applications.map((a: Record<string, unknown>) => [a.appId, a]));
    assert.deepEqual(byApp[APP.publicClient].refreshTokenIds, [rtId(liveRt)], 'the consumed token is not claimed');
    assert.deepEqual(byApp[APP.spa].refreshTokenIds, [rtId(x.spaRt)]);
    assert.deepEqual(byApp[APP.publicClient].sessionIds, [x.sid]);
    // The store agrees: both tokens are refused now.
    assert.equal((await refresh(h, liveRt)).status, 400);
    assert.equal((await refresh(h, x.spaRt, APP.spa, SPA_PAGE)).status, 400);

    const settled = await settledReceipt(correlationId);
    const byChannel = settled.deliveries.map((d: Record<string, unknown>) => [
      d.channel,
      String(d.destination).split(' ')[0],
      d.status,
      d.attempts,
    ]);
    assert.deepEqual(
      byChannel.sort(),
      [
        ['backchannelLogout', APP.publicClient, 'delivered', 1],
        ['backchannelLogout', APP.spa, 'failed', 3],
      ].sort(),
    );
    const failed = settled.deliveries.find((d: Record<string, unknown>) => d.status === 'failed');
    assert.match(failed.lastError, /HTTP 500/);
    assert.notEqual(failed.completedDateTime, null);
    assert.deepEqual([settled.notifications.delivered, settled.notifications.failed, settled.notifications.state], [1, 1, 'planned']);

    // The directoryAudits record links to it, with the counts.
    const audits = await call(
      h,
      'GET',
      `/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Update StsRefreshTokenValidFrom Timestamp'&$top=5`,
      {
        token: reader(),
      },
    );
    const record = audits.json.value.find((a: Record<string, unknown>) => a.correlationId === correlationId);
    assert.deepEqual(record.additionalDetails, [
      { key: 'revocationReceipt', value: `${PUBLIC_URL}/v1.0/auditLogs/revocationReceipts/${correlationId}` },
      { key: 'sessionsRevoked', value: '1' },
      { key: 'grantsRevoked', value: '2' },
      { key: 'refreshTokensRevoked', value: '2' },
    ]);
  });

  test('a targeted revoke of one session: the answer links its receipt, which names that session and its grants; deliveries settle', async () => {
    const x = await signInBoth('rc8');
    const path = `/v1.0/users/${users.rc8!.id}/signInSessions/${x.sid}/revoke`;
    const dryId = newGuid();
    const dry = await call(h, 'POST', path, { token: admin(), headers: { 'client-request-id': dryId }, body: { dryRun: true } });
    assert.equal(dry.status, 200, dry.body);
    assert.equal(dry.json.revocationReceipt, undefined, 'a dry run cuts nothing and has no receipt');
    assert.equal((await receipt(dryId)).status, 404);

    const correlationId = newGuid();
    const res = await call(h, 'POST', path, { token: admin(), headers: { 'client-request-id': correlationId } });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.correlationId, correlationId);
    assert.equal(res.json.revocationReceipt, `${PUBLIC_URL}/v1.0/auditLogs/revocationReceipts/${correlationId}`);

    const r = await settledReceipt(correlationId);
    assert.equal(r.revocationType, 'sessionRevocation');
    assert.deepEqual(r.user, { id: users.rc8!.id, userPrincipalName: users.rc8!.userPrincipalName });
    assert.deepEqual(r.sessionIds, [x.sid]);
    assert.deepEqual([r.sessionsRevoked, r.grantsRevoked, r.refreshTokensRevoked], [1, 2, 2]);
    assert.deepEqual(r.applications.flatMap((a: Record<string, string[]>) => a.grantIds).sort(), [...res.json.grantIds].sort());
    const byApp = Object.fromEntries(r.applications.map((a: Record<string, unknown>) => [a.appId, a]));
    assert.deepEqual(byApp[APP.publicClient].refreshTokenIds, [rtId(x.publicRt)]);
    assert.deepEqual(byApp[APP.spa].refreshTokenIds, [rtId(x.spaRt)]);
    assert.deepEqual(
      r.deliveries.map((d: Record<string, unknown>) => [d.channel, String(d.destination).split(' ')[0], d.status]).sort(),
      [
        ['backchannelLogout', APP.publicClient, 'delivered'],
        ['backchannelLogout', APP.spa, 'failed'],
      ].sort(),
    );
    const audits = await call(
      h,
      'GET',
      `/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Revoke selected sign-in sessions'`,
      {
        token: reader(),
      },
    );
    const record = audits.json.value.find((a: Record<string, unknown>) => a.correlationId === correlationId);
    assert.equal(record?.additionalDetails[0].value, res.json.revocationReceipt, 'the audit record links the receipt');
  });

  test('who may read: audit-log readers and app-only AuditLog.Read.All read all; a user reads their own only', async () => {
    const correlationId = newGuid();
    await call(h, 'POST', `/v1.0/users/${users.rc2!.id}/revokeSignInSessions`, {
      token: admin(),
      headers: { 'client-request-id': correlationId },
    });
    assert.equal((await receipt(correlationId, appToken(h, ['AuditLog.Read.All']))).status, 200);
    assert.equal((await receipt(correlationId, appToken(h, ['User.Read.All']))).status, 403);
    // A user with the scope but no reader role (helpdesk) reads only their own: someone else's is 404.
    assert.equal((await receipt(correlationId, delegatedToken(h, 'helpdesk', ['AuditLog.Read.All']))).status, 404);
    assert.equal((await receipt(correlationId, delegatedToken(h, 'alice', ['Mail.Read']))).status, 403);
    // The user themself, with User.Read, through /me's revoke.
    const own = newGuid();
    const aliceToken = delegatedToken(h, 'alice', ['User.ReadWrite']);
    assert.equal(
      (await call(h, 'POST', '/v1.0/me/revokeSignInSessions', { token: aliceToken, headers: { 'client-request-id': own } })).status,
      200,
    );
    const mine = await receipt(own, delegatedToken(h, 'alice', ['User.Read']));
    assert.equal(mine.status, 200, mine.body);
    assert.equal(mine.json.user.id, h.users.alice!.id);
    assert.equal(mine.json.initiatedBy.user.id, h.users.alice!.id);
    assert.equal((await receipt(own, delegatedToken(h, 'bob', ['User.Read']))).status, 404);
    // Listing as a user: only their own; asking for another user's is refused.
    const list = await call(h, 'GET', '/v1.0/auditLogs/revocationReceipts', { token: delegatedToken(h, 'alice', ['User.Read']) });
    assert.equal(list.status, 200, list.body);
    assert.ok(list.json.value.length >= 1 && list.json.value.every((x: Record<string, any>) => x.user.id === h.users.alice!.id));
    const other = await call(h, 'GET', `/v1.0/auditLogs/revocationReceipts?$filter=userId eq '${users.rc2!.id}'`, {
      token: delegatedToken(h, 'alice', ['User.Read']),
    });
    assert.equal(other.status, 403);
    assert.equal((await receipt('no-such-correlation-id')).status, 404);
  });

  test('list: $filter on userId and revokedDateTime, $top paging; other filters are 400', async () => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await call(h, 'POST', `/v1.0/users/${users.rc3!.id}/revokeSignInSessions`, { token: admin() });
    }
    const byUser = await call(h, 'GET', `/v1.0/auditLogs/revocationReceipts?$filter=userId eq '${users.rc3!.id}'&$top=2`, {
      token: reader(),
    });
    assert.equal(byUser.status, 200, byUser.body);
    assert.equal(byUser.json.value.length, 2);
    assert.ok(byUser.json['@odata.nextLink']);
    const next = await call(h, 'GET', byUser.json['@odata.nextLink'].replace(PUBLIC_URL, ''), { token: reader() });
    assert.equal(next.json.value.length, 1);
    const since = byUser.json.value[0].revokedDateTime;
    const recent = await call(
      h,
      'GET',
      `/v1.0/auditLogs/revocationReceipts?$filter=userId eq '${users.rc3!.id}' and revokedDateTime ge ${since}`,
      { token: reader() },
    );
    assert.equal(recent.json.value.length, 1);
    // The beta action is recorded as itself.
    const invalidateId = newGuid();
    const invalidated = await call(h, 'POST', `/beta/users/${users.rc3!.id}/invalidateAllRefreshTokens`, {
      token: delegatedToken(h, 'useradmin', ['User.RevokeSessions.All']),
      headers: { 'client-request-id': invalidateId },
    });
    assert.equal(invalidated.status, 204, invalidated.body);
    assert.equal((await receipt(invalidateId)).json.revocationType, 'invalidateAllRefreshTokens');
    const bad = await call(h, 'GET', `/v1.0/auditLogs/revocationReceipts?$filter=kind eq 'x'`, { token: reader() });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'Request_UnsupportedQuery');
  });

  test('disable, password reset and $batch revokes each leave a receipt under their correlation id', async () => {
    const d = await signInBoth('rc4');
    const disableId = newGuid();
    const res = await call(h, 'PATCH', `/v1.0/users/${users.rc4!.id}`, {
      token: admin(),
      body: { accountEnabled: false },
      headers: { 'client-request-id': disableId },
    });
    assert.equal(res.status, 204, res.body);
    const disabled = (await receipt(disableId)).json;
    assert.equal(disabled.revocationType, 'accountDisabled');
    assert.deepEqual(disabled.sessionIds, [d.sid]);
    assert.equal(disabled.refreshTokensRevoked, 2);

    await signInBoth('rc5');
    const resetId = newGuid();
    await call(h, 'PATCH', `/v1.0/users/${users.rc5!.id}`, {
      token: appToken(h, ['User-PasswordProfile.ReadWrite.All']),
      body: { passwordProfile: { password: 'Another-Horse-7', forceChangePasswordNextSignIn: false } },
      headers: { 'client-request-id': resetId },
    });
    const reset = (await receipt(resetId)).json;
    assert.equal(reset.revocationType, 'passwordReset');
    assert.equal(reset.grantsRevoked, 2);

    await signInBoth('rc6');
    const [b1, b2] = [newGuid(), newGuid()];
    const batch = await call(h, 'POST', '/v1.0/$batch', {
      token: admin(),
      body: {
        requests: [
          { id: '1', method: 'POST', url: `/users/${users.rc6!.id}/revokeSignInSessions`, headers: { 'client-request-id': b1 } },
          { id: '2', method: 'POST', url: `/users/${users.rc7!.id}/revokeSignInSessions`, headers: { 'client-request-id': b2 } },
        ],
      },
    });
    assert.equal(batch.status, 200, batch.body);
    const [r6, r7] = [(await receipt(b1)).json, (await receipt(b2)).json];
    assert.deepEqual([r6.user.id, r6.grantsRevoked], [users.rc6!.id, 2]);
    assert.deepEqual([r7.user.id, r7.grantsRevoked, r7.sessionsRevoked], [users.rc7!.id, 0, 0]);
  });

  test('deleting a user leaves a receipt of every session, grant and refresh token the deletion cut, linked from the Delete user record', async () => {
    const x = await signInBoth('rc9');
    const correlationId = newGuid();
    const res = await call(h, 'DELETE', `/v1.0/users/${users.rc9!.id}`, {
      token: admin(),
      headers: { 'client-request-id': correlationId },
    });
    assert.equal(res.status, 204, res.body);
    const r = (await receipt(correlationId)).json;
    assert.equal(r.revocationType, 'userDeleted');
    assert.deepEqual(r.user, { id: users.rc9!.id, userPrincipalName: users.rc9!.userPrincipalName });
    assert.deepEqual(r.sessionIds, [x.sid]);
    const byApp = Object.fromEntries(r.applications.map((a: Record<string, unknown>) => [a.appId, a]));
    assert.deepEqual(byApp[APP.publicClient].refreshTokenIds, [rtId(x.publicRt)]);
    assert.deepEqual(byApp[APP.spa].refreshTokenIds, [rtId(x.spaRt)]);
    assert.deepEqual([r.sessionsRevoked, r.grantsRevoked, r.refreshTokensRevoked], [1, 2, 2]);
    // What the receipt claims is gone is gone.
    assert.equal((await refresh(h, x.publicRt)).status, 400);
    assert.equal((await refresh(h, x.spaRt, APP.spa, SPA_PAGE)).status, 400);
    const audits = await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Delete user'&$top=5`, {
      token: reader(),
    });
    const record = audits.json.value.find((a: Record<string, unknown>) => a.correlationId === correlationId);
    assert.deepEqual(record.additionalDetails[0], {
      key: 'revocationReceipt',
      value: `${PUBLIC_URL}/v1.0/auditLogs/revocationReceipts/${correlationId}`,
    });
  });

  test('RFC 7009: revoking a refresh token is audited, pushed to the app for that session, and has a receipt of one grant', async () => {
    const x = await signInBoth('bob');
    const correlationId = newGuid();
    const from = receiver.posts.length;
    const res = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/revoke`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'client-request-id': correlationId },
      payload: new URLSearchParams({ client_id: APP.publicClient, token: x.publicRt, token_type_hint: 'refresh_token' }).toString(),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['client-request-id'], correlationId);
    const r = await settledReceipt(correlationId);
    assert.equal(r.revocationType, 'tokenRevocation');
    assert.deepEqual(r.sessionIds, [], 'the browser session lives on');
    assert.deepEqual(r.applications, [
      { appId: APP.publicClient, grantIds: r.applications[0].grantIds, refreshTokenIds: [rtId(x.publicRt)], sessionIds: [x.sid] },
    ]);
    assert.equal(r.grantsRevoked, 1);
    assert.equal(r.initiatedBy.app.appId, APP.publicClient);
    assert.deepEqual(
      r.deliveries.map((d: Record<string, unknown>) => [d.channel, d.destination, d.status]),
      [['backchannelLogout', `${APP.publicClient} sid=${x.sid}`, 'delivered']],
    );
    // Other tests' failing SPA deliveries may still be retrying: count the logout tokens for this session.
    const forSession = (path: string) => receiver.posts.slice(from).filter((p) => p.path === path && sidOf(p.logoutToken) === x.sid).length;
    assert.equal(forSession('/bcl/public'), 1);
    assert.equal(forSession('/bcl/spa'), 0, 'the other app of the session is not told');
    // The SPA's grant in the same session still refreshes.
    assert.equal((await refresh(h, x.spaRt, APP.spa, SPA_PAGE)).status, 200);
    const audits = await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Revoke token'`, {
      token: reader(),
    });
    const record = audits.json.value.find((a: Record<string, unknown>) => a.correlationId === correlationId);
    assert.ok(record, 'audited');
    assert.equal(record.targetResources[0].id, h.users.bob!.id);
    assert.equal(record.additionalDetails[0].value, `${PUBLIC_URL}/v1.0/auditLogs/revocationReceipts/${correlationId}`);
    // Revoking it again cuts nothing: no second audit record.
    await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/revoke`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ client_id: APP.publicClient, token: x.publicRt }).toString(),
    });
    const again = await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Revoke token'`, {
      token: reader(),
    });
    assert.equal(again.json.value.length, audits.json.value.length);
  });
});
