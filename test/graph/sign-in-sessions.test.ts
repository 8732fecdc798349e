/**
 * The session inventory and targeted revocation on Graph (src/graph/sign-in-sessions.ts,
 * docs/graph-api.md "Sign-in sessions"): real sign-ins through the form and the token endpoint,
 * listed, paged, filtered and cut over HTTP, with the refreshes and SSO that must stop and those
 * that must keep working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar, authorizeUrl, pkcePair, refresh, signIn } from '../helpers/browser-flow.js';
import { APP, ManualClock, PUBLIC_URL, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { call } from './graph-helpers.js';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

describe('Graph signInSessions', () => {
  let h: Harness;
  const clock = new ManualClock(Date.UTC(2026, 6, 1, 9, 0, 0));
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(() => h.close());

  const list = (token: string, path: string) => call(h, 'GET', path, { token, headers: { 'user-agent': FIREFOX } });
  const relative = (link: string) => link.slice(PUBLIC_URL.length);

  /**
   * Entries by kind, newest first. A sign-in's session and grant share one instant on the frozen
   * clock, so their relative order is the id's; tests never rely on it.
   */
  const byKind = (entries: Record<string, any>[], kind: 'browserSession' | 'refreshTokenGrant') => entries.filter((e) => e.kind === kind);

  /** Two browser sign-ins of `user` (two sessions, two grants), a minute apart. */
  async function twoDevices(user: string) {
    const first = await signIn(h, `${user}@contoso.test`);
    clock.advance(60_000);
    const second = await signIn(h, `${user}@contoso.test`);
    clock.advance(60_000);
    return { first, second };
  }

  test('a user lists their own sessions and grants, newest first, paged and filtered', async () => {
    await twoDevices('alice');
    const token = delegatedToken(h, 'alice', ['User.Read']);
    const all = await list(token, '/v1.0/me/signInSessions');
    assert.equal(all.status, 200, all.body);
    assert.equal(all.json['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#signInSessions`);
    const entries = all.json.value as Record<string, any>[];
    assert.deepEqual(
      entries.map((e) => e.createdDateTime),
      [2, 2, 1, 1].map((m) => new Date(clock.now() - (3 - m) * 60_000).toISOString()),
      'newest first',
    );
    const [grant] = byKind(entries, 'refreshTokenGrant');
    const [session] = byKind(entries, 'browserSession');
    assert.equal(entries.length, 4);
    assert.equal(grant!.appId, APP.publicClient);
    assert.equal(grant!.appDisplayName, (await h.store.applications.findByAppId(TENANT_ID, APP.publicClient))!.displayName);
    assert.equal(session!.appDisplayName, grant!.appDisplayName);
    assert.equal(grant!.sessionId, session!.id);
    assert.equal(grant!.signInMethod, 'password');
    assert.equal(session!.signInMethod, 'password');
    assert.equal(session!.appId, APP.publicClient);
    assert.equal(session!.ipAddress, '127.0.0.1');
    assert.equal(session!.isLive, true);
    assert.equal(session!.createdDateTime, new Date(clock.now() - 60_000).toISOString());
    assert.deepEqual(Object.keys(session!.deviceDetail).sort(), ['browser', 'displayName', 'operatingSystem']);
    // What each grant was consented for (the browser flow's default request); a session holds none.
    for (const g of byKind(entries, 'refreshTokenGrant')) assert.deepEqual(g.scopes, ['openid', 'profile', 'offline_access', 'User.Read']);
    for (const s of byKind(entries, 'browserSession')) assert.equal(s.scopes, null);

    // $top with @odata.nextLink, followed to the end.
    const seen: string[] = [];
    let next: string | undefined = '/v1.0/me/signInSessions?$top=3';
    while (next) {
      const page = await list(token, next);
      assert.equal(page.status, 200, page.body);
      seen.push(...(page.json.value as { id: string }[]).map((e) => e.id));
      next = page.json['@odata.nextLink'] ? relative(page.json['@odata.nextLink']) : undefined;
    }
    assert.deepEqual(
      seen,
      entries.map((e) => e.id),
    );

    const grants = await list(token, `/v1.0/me/signInSessions?$filter=appId eq '${APP.spa}'`);
    assert.deepEqual(grants.json.value, []);
    const since = new Date(clock.now() - 60_000).toISOString();
    const recent = await list(token, `/v1.0/me/signInSessions?$filter=isLive eq true and createdDateTime ge ${since}`);
    assert.deepEqual(
      (recent.json.value as { id: string }[]).map((e) => e.id).sort(),
      entries
        .slice(0, 2)
        .map((e) => e.id)
        .sort(),
    );
    const bad = await list(token, "/v1.0/me/signInSessions?$filter=startswith(appId,'a')");
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'Request_UnsupportedQuery');
  });

  test("a refresh is the grant's last activity, with its address and user agent; a silent sign-in is the session's", async () => {
    const jar = new CookieJar();
    const { tokens } = await signIn(h, 'bob@contoso.test', jar);
    clock.advance(5 * 60_000);
    const refreshed = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': FIREFOX },
      payload: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: APP.publicClient,
        refresh_token: tokens.refresh_token!,
      }).toString(),
    });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    clock.advance(5 * 60_000);
    // Silent SSO with the browser's cookie (no form): the session's use.
    const silent = await h.app.http.inject({
      method: 'GET',
      url: authorizeUrl({ prompt: 'none' }, pkcePair()),
      headers: { cookie: jar.header() },
    });
    assert.equal(silent.statusCode, 302);
    const token = delegatedToken(h, 'bob', ['User.Read']);
    const entries = (await list(token, '/v1.0/me/signInSessions')).json.value as Record<string, any>[];
    const [grant] = byKind(entries, 'refreshTokenGrant');
    const [session] = byKind(entries, 'browserSession');
    assert.equal(grant!.lastActivityDateTime, new Date(clock.now() - 5 * 60_000).toISOString());
    assert.equal(grant!.userAgent, FIREFOX);
    assert.deepEqual(grant!.deviceDetail, {
      browser: 'Firefox 121',
      operatingSystem: 'Windows 10',
      displayName: 'Firefox 121 on Windows 10',
    });
    assert.equal(session!.lastActivityDateTime, new Date(clock.now()).toISOString());
  });

  test('revoke one session: the dry run says what, the cut ends it and its refresh tokens; the other device keeps working', async () => {
    const { first, second } = await twoDevices('helpdesk');
    const token = delegatedToken(h, 'helpdesk', ['User.Read', 'User.ReadWrite']);
    const entries = (await list(token, '/v1.0/me/signInSessions')).json.value as Record<string, any>[];
    const sessionOne = byKind(entries, 'browserSession')[1];
    const grantOne = byKind(entries, 'refreshTokenGrant')[1];
    const dry = await call(h, 'POST', `/v1.0/me/signInSessions/${sessionOne!.id}/revoke`, { token, body: { dryRun: true } });
    assert.equal(dry.status, 200, dry.body);
    assert.deepEqual(
      { ...dry.json, '@odata.context': undefined },
      { '@odata.context': undefined, dryRun: true, sessionCount: 1, grantCount: 1, sessionIds: [sessionOne!.id], grantIds: [grantOne!.id] },
    );
    const stillFirst = await refresh(h, first.tokens.refresh_token!);
    assert.equal(stillFirst.status, 200, 'a dry run cuts nothing');

    const cut = await call(h, 'POST', `/v1.0/me/signInSessions/${sessionOne!.id}/revoke`, { token });
    assert.equal(cut.status, 200, cut.body);
    assert.equal(cut.json.dryRun, false);
    assert.deepEqual(cut.json.sessionIds, [sessionOne!.id]);
    // Every refresh token of the cut grant is refused; the other device's still refreshes.
    const refused = await refresh(h, String(stillFirst.body.refresh_token));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    const latest = await h.store.inventory.list({ tenantId: TENANT_ID, userId: h.users.helpdesk!.id, limit: 10, now: clock.now() });
    assert.equal(latest.find((e) => e.id === grantOne!.id)?.live, false);
    assert.equal((await refresh(h, second.tokens.refresh_token!)).status, 200, 'the other session is untouched');
    // The cut session no longer signs in silently.
    const silent = await h.app.http.inject({
      method: 'GET',
      url: authorizeUrl({ prompt: 'none' }, pkcePair()),
      headers: { cookie: first.jar.header() },
    });
    assert.match(String(silent.headers.location), /error=login_required/);
    const stillSso = await h.app.http.inject({
      method: 'GET',
      url: authorizeUrl({ prompt: 'none' }, pkcePair()),
      headers: { cookie: second.jar.header() },
    });
    assert.match(String(stillSso.headers.location), /code=/);
    // Audited and pushed (the outbox event names the cut session).
    const [event] = await h.store.outbox.listEvents({ userId: h.users.helpdesk!.id, limit: 1 });
    assert.equal(event?.type, 'sessions-cut');
    assert.deepEqual(event?.sessions, [{ sid: sessionOne!.id, clientIds: [APP.publicClient] }]);
    const audits = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Revoke selected sign-in sessions', limit: 5 });
    assert.ok(audits.some((a) => a.targetResources[0]?.id === h.users.helpdesk!.id));
  });

  test('sign out everywhere else keeps this session; an admin revokes one app of another user', async () => {
    const { first, second } = await twoDevices('passwordadmin');
    const token = delegatedToken(h, 'passwordadmin', ['User.ReadWrite']);
    const entries = (await list(token, '/v1.0/me/signInSessions')).json.value as Record<string, any>[];
    const keep = byKind(entries, 'browserSession')[0]!.id; // the newest: the second device
    const others = await call(h, 'POST', '/v1.0/me/signInSessions/revokeAllExcept', { token, body: { sessionId: keep } });
    assert.equal(others.status, 200, others.body);
    assert.equal(others.json.sessionCount, 1);
    assert.equal((await refresh(h, first.tokens.refresh_token!)).status, 400);
    const kept = await refresh(h, second.tokens.refresh_token!);
    assert.equal(kept.status, 200);

    const admin = delegatedToken(h, 'globaladmin', ['User.RevokeSessions.All']);
    const target = h.users.passwordadmin!.id;
    const forApp = await call(h, 'POST', `/v1.0/users/${target}/signInSessions/revokeForApp`, {
      token: admin,
      body: { appId: APP.publicClient },
    });
    assert.equal(forApp.status, 200, forApp.body);
    assert.equal(forApp.json.sessionCount, 0);
    assert.equal(forApp.json.grantCount, 1);
    const refused = await refresh(h, String(kept.body.refresh_token));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    // The browser session stays: a silent sign-in still works after an app cut.
    const silent = await h.app.http.inject({
      method: 'GET',
      url: authorizeUrl({ prompt: 'none' }, pkcePair()),
      headers: { cookie: second.jar.header() },
    });
    assert.match(String(silent.headers.location), /code=/);
  });

  test('who may list and cut: oneself, admins by the role tables, apps by permission', async () => {
    const alice = h.users.alice!.id;
    const globaladmin = h.users.globaladmin!.id;
    const status = async (token: string, method: string, path: string, body?: unknown) =>
      (await call(h, method, path, { token, ...(body ? { body } : {}) })).status;
    // A user without a role: their own only.
    const plain = delegatedToken(h, 'bob', ['User.Read', 'User.ReadWrite', 'User.RevokeSessions.All']);
    assert.equal(await status(plain, 'GET', `/v1.0/users/${alice}/signInSessions`), 403);
    assert.equal(await status(plain, 'GET', '/v1.0/signInSessions'), 403);
    // Helpdesk may act on users without roles, not on a Global Administrator, and not tenant-wide.
    const helpdesk = delegatedToken(h, 'helpdesk', ['User.RevokeSessions.All']);
    assert.equal(await status(helpdesk, 'GET', `/v1.0/users/${alice}/signInSessions`), 200);
    assert.equal(await status(helpdesk, 'GET', `/v1.0/users/${globaladmin}/signInSessions`), 403);
    assert.equal(await status(helpdesk, 'POST', `/v1.0/users/${globaladmin}/signInSessions/revokeForApp`, { appId: APP.spa }), 403);
    assert.equal(await status(helpdesk, 'GET', '/v1.0/signInSessions'), 403);
    // A Global Administrator lists the tenant, paged.
    const admin = delegatedToken(h, 'globaladmin', ['User.RevokeSessions.All']);
    const tenant = await call(h, 'GET', '/beta/signInSessions?$top=2', { token: admin });
    assert.equal(tenant.status, 200, tenant.body);
    assert.equal(tenant.json.value.length, 2);
    assert.match(tenant.json['@odata.nextLink'], /^https:\/\/login\.portcullis\.test\/beta\/signInSessions\?\$top=2&\$skiptoken=/);
    // Apps: by permission.
    assert.equal(await status(appToken(h, ['User.RevokeSessions.All']), 'GET', '/v1.0/signInSessions'), 200);
    assert.equal(await status(appToken(h, ['User.Read.All']), 'GET', `/v1.0/users/${alice}/signInSessions`), 403);
    assert.equal(await status(appToken(h, ['User.RevokeSessions.All']), 'GET', '/v1.0/me/signInSessions'), 400);
    // Bad input: Graph-shaped 400s.
    const bad = await call(h, 'POST', `/v1.0/users/${alice}/signInSessions/revokeForApp`, {
      token: admin,
      body: { appId: 'x', dryRun: true },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'Request_BadRequest');
    const badToken = await call(h, 'GET', `/v1.0/users/${alice}/signInSessions?$skiptoken=nope`, { token: admin });
    assert.equal(badToken.status, 400);
  });
});
