import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import type { User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import { BACKCHANNEL_LOGOUT_SINK } from '../../src/outbox/backchannel-logout-sink.js';
import { OUTBOX_ACTIVITY } from '../../src/outbox/outbox-audit.js';
import { CookieJar, signIn, tokenRequest } from '../helpers/browser-flow.js';
import { APP, DOMAIN, PASSWORD, REDIRECT, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { LogoutReceiver, verifyLogoutToken } from '../helpers/logout-receiver.js';
import { waitFor } from '../helpers/wait.js';
import { call } from '../graph/graph-helpers.js';

/**
 * OpenID Connect Back-Channel Logout end to end: a real app on a real SQLite file, real sign-ins
 * through the authorize form, a receiver on loopback that verifies every logout token with the
 * JWKS and counts raw POSTs. For each revocation-class action the receiver must get exactly one
 * token per (application, session) the user had, with the application's own `sub` and the
 * session's `sid` — no more, no fewer.
 */
const decode = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

/** What one user has signed in to: the sids and each app's `sub`, from the ID tokens. */
interface SignedIn {
  user: User;
  /** Browser 1: public client and SPA share the SSO session s1. */
  s1: string;
  /** Browser 2: the public client again, session s2. */
  s2: string;
  jar1: CookieJar;
  sub: { public: string; spa: string };
}

describe('OpenID Connect Back-Channel Logout', () => {
  let h: Harness;
  let receiver: LogoutReceiver;
  let jwks: JSONWebKeySet;
  const issuer = `https://login.portcullis.test/${TENANT_ID}/v2.0`;
  const extraUsers: Record<string, User> = {};

  before(async () => {
    receiver = await LogoutReceiver.start();
    h = await makeHarness({ config: { outbox: { pollIntervalMs: 50, initialBackoffMs: 50, maxBackoffMs: 100, maxAttempts: 3 } } });
    // Users only this suite touches (disable, delete and reset need non-admin targets).
    for (const name of ['carol', 'dave', 'erin', 'frank', 'grace']) {
      const u: User = { ...h.users.alice!, id: newGuid(), userPrincipalName: `${name}@${DOMAIN}`, mail: null, displayName: name };
      await h.store.users.insert(u);
      extraUsers[name] = u;
    }
    await register(APP.publicClient, '/bcl/public', false);
    await register(APP.spa, '/bcl/spa', true);
    // Registered but never used by the users below: must never be called.
    await register(APP.webApp, '/bcl/web', false);
    jwks = (await h.app.http.inject({ method: 'GET', url: `/${TENANT_ID}/discovery/v2.0/keys` })).json() as JSONWebKeySet;
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
  });

  /** Registers the receiver as the app's back-channel logout URI through Graph (PATCH /applications). */
  async function register(appId: string, path: string, sessionRequired: boolean): Promise<void> {
    const res = await call(h, 'PATCH', `/v1.0/applications/${appId}`, {
      token: appToken(h, ['Application.ReadWrite.All']),
      body: { backchannelLogoutUri: receiver.url(path), backchannelLogoutSessionRequired: sessionRequired },
    });
    assert.equal(res.status, 204, res.body);
  }

  const userOf = (key: string): User => extraUsers[key] ?? h.users[key]!;

  /** Two browsers, two apps, plus a password-grant sign-in without a session. */
  async function signInEverywhere(key: string): Promise<SignedIn> {
    const upn = `${key}@${DOMAIN}`;
    const jar1 = new CookieJar();
    const a = await signIn(h, upn, jar1);
    const b = await signIn(h, upn, jar1, { clientId: APP.spa, redirectUri: REDIRECT.spa, scope: 'openid offline_access User.Read' });
    const c = await signIn(h, upn, new CookieJar());
    const ropc = await tokenRequest(h, {
      grant_type: 'password',
      client_id: APP.publicClient,
      username: upn,
      password: PASSWORD,
      scope: 'openid offline_access User.Read',
    });
    assert.equal(ropc.status, 200, JSON.stringify(ropc.body));
    const idA = decode(a.tokens.id_token!);
    const idB = decode(b.tokens.id_token!);
    const idC = decode(c.tokens.id_token!);
    assert.equal(idA.sid, idB.sid, 'SSO: one browser, one session');
    assert.notEqual(idA.sid, idC.sid);
    assert.equal(decode(ropc.body.id_token as string).sid, undefined, 'the password grant has no session');
    return {
      user: userOf(key),
      s1: idA.sid as string,
      s2: idC.sid as string,
      jar1,
      sub: { public: idA.sub as string, spa: idB.sub as string },
    };
  }

  /** [path, sub, sid] of every verified token received since `from`, sorted. */
  async function receivedSince(from: number): Promise<string[][]> {
    const out: string[][] = [];
    for (const p of receiver.posts.slice(from)) {
      assert.equal(p.contentType, 'application/x-www-form-urlencoded');
      assert.deepEqual(p.fields, ['logout_token']);
      const audience = p.path === '/bcl/public' ? APP.publicClient : p.path === '/bcl/spa' ? APP.spa : APP.webApp;
      const { payload, kid } = await verifyLogoutToken(p.logoutToken!, jwks, { issuer, audience });
      assert.equal(kid, h.app.services.keys.signingKid);
      out.push([p.path, payload.sub!, payload.sid ?? '-']);
    }
    return out.sort((x, y) => x.join().localeCompare(y.join()));
  }

  /** Waits for `count` POSTs after `from`, then a little longer to catch any extra one. */
  async function expectPosts(from: number, count: number): Promise<string[][]> {
    await waitFor(`${count} logout token POSTs`, () => receiver.posts.length - from >= count, 15_000);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(receiver.posts.length - from, count, 'exactly the expected number of POSTs');
    return receivedSince(from);
  }

  const everySession = (x: SignedIn): string[][] =>
    [
      ['/bcl/public', x.sub.public, x.s1],
      ['/bcl/public', x.sub.public, x.s2],
      // The password grant's "session": a token with sub only, for an app that does not require sid.
      ['/bcl/public', x.sub.public, '-'],
      ['/bcl/spa', x.sub.spa, x.s1],
    ].sort((a, b) => a.join().localeCompare(b.join()));

  const admin = () => appToken(h, ['User.RevokeSessions.All', 'User.ReadWrite.All']);

  test("revokeSignInSessions: one token per app and session, with that app's sub and the session's sid", async () => {
    const x = await signInEverywhere('alice');
    const from = receiver.posts.length;
    const res = await call(h, 'POST', `/v1.0/users/${x.user.id}/revokeSignInSessions`, { token: admin() });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(await expectPosts(from, 4), everySession(x));
    assert.equal(receiver.posts.slice(from).filter((p) => p.path === '/bcl/web').length, 0, 'an app the user never used is not told');
    const rows = await h.store.outbox.listDeliveries({ sink: BACKCHANNEL_LOGOUT_SINK, limit: 100 });
    const jtis = new Set(await Promise.all(receiver.posts.slice(from).map(async (p) => decode(p.logoutToken!).jti)));
    assert.equal(jtis.size, 4, 'every token has its own jti');
    for (const jti of jtis) assert.equal(rows.find((r) => r.id === jti)?.status, 'delivered');
  });

  test('sign-out at the logout endpoint: only the apps of that browser session', async () => {
    const x = await signInEverywhere('bob');
    const from = receiver.posts.length;
    const res = await h.app.http.inject({ method: 'GET', url: `/${TENANT_ID}/oauth2/v2.0/logout`, headers: { cookie: x.jar1.header() } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      await expectPosts(from, 2),
      [
        ['/bcl/public', x.sub.public, x.s1],
        ['/bcl/spa', x.sub.spa, x.s1],
      ].sort((a, b) => a.join().localeCompare(b.join())),
    );
    const [event] = await h.store.outbox.listEvents({ userId: x.user.id, limit: 1 });
    assert.equal(event!.type, 'signed-out');
    assert.equal(event!.initiatingEntity, 'user');
    assert.equal(event!.initiatedBy.user?.id, x.user.id);
  });

  test('disabling the account', async () => {
    const x = await signInEverywhere('carol');
    const from = receiver.posts.length;
    const res = await call(h, 'PATCH', `/v1.0/users/${x.user.id}`, { token: admin(), body: { accountEnabled: false } });
    assert.equal(res.status, 204, res.body);
    assert.deepEqual(await expectPosts(from, 4), everySession(x));
  });

  test('deleting the user', async () => {
    const x = await signInEverywhere('dave');
    const from = receiver.posts.length;
    const res = await call(h, 'DELETE', `/v1.0/users/${x.user.id}`, { token: admin() });
    assert.equal(res.status, 204, res.body);
    assert.deepEqual(await expectPosts(from, 4), everySession(x));
  });

  test('resetting the password', async () => {
    const x = await signInEverywhere('erin');
    const from = receiver.posts.length;
    const res = await call(h, 'PATCH', `/v1.0/users/${x.user.id}`, {
      token: delegatedToken(h, 'globaladmin', ['User.ReadWrite.All']),
      body: { passwordProfile: { password: 'Another-Horse-7', forceChangePasswordNextSignIn: false } },
    });
    assert.equal(res.status, 204, res.body);
    assert.deepEqual(await expectPosts(from, 4), everySession(x));
  });

  test('a receiver that fails (500) and then succeeds gets the token once, after a retry with the same jti', async () => {
    await register(APP.publicClient, '/bcl/flaky', false);
    await register(APP.spa, '/bcl/flaky-spa', true);
    receiver.respond = (path, n) => (path === '/bcl/flaky' && n === 1 ? 500 : 200);
    try {
      const upn = `frank@${DOMAIN}`;
      const a = await signIn(h, upn, new CookieJar());
      const sid = decode(a.tokens.id_token!).sid as string;
      const from = receiver.posts.length;
      await call(h, 'POST', `/v1.0/users/${extraUsers.frank!.id}/revokeSignInSessions`, { token: admin() });
      await waitFor('the retry', () => receiver.accepted('/bcl/flaky').length >= 1, 15_000);
      await new Promise((r) => setTimeout(r, 400));
      const posts = receiver.posts.slice(from);
      assert.deepEqual(
        posts.map((p) => [p.path, p.status]),
        [
          ['/bcl/flaky', 500],
          ['/bcl/flaky', 200],
        ],
      );
      const [first, second] = posts.map((p) => decode(p.logoutToken!));
      assert.equal(first!.jti, second!.jti, 'a retry carries the same jti');
      assert.equal(second!.sid, sid);
      const attempts = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: OUTBOX_ACTIVITY.attemptFailed, limit: 50 });
      assert.equal(attempts.filter((r) => r.targetResources[0]?.id === extraUsers.frank!.id).length, 1);
      assert.match(attempts[0]!.resultReason, /HTTP 500/);
    } finally {
      receiver.respond = () => 200;
    }
  });

  test('a receiver that never succeeds ends as failed, with audit records in directoryAudits', async () => {
    await register(APP.publicClient, '/bcl/down', false);
    receiver.respond = (path) => (path === '/bcl/down' ? 503 : 200);
    try {
      const upn = `grace@${DOMAIN}`;
      await signIn(h, upn, new CookieJar());
      const from = receiver.posts.length;
      await call(h, 'POST', `/v1.0/users/${extraUsers.grace!.id}/revokeSignInSessions`, { token: admin() });
      const mine = async () =>
        (await h.store.outbox.listDeliveries({ sink: BACKCHANNEL_LOGOUT_SINK, limit: 200 })).filter(
          (d) => d.destination.startsWith(APP.publicClient) && (d.payload.uri as string).endsWith('/bcl/down'),
        );
      await waitFor('the delivery to fail', async () => (await mine())[0]?.status === 'failed', 15_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(receiver.posts.slice(from).filter((p) => p.path === '/bcl/down').length, 3, 'maxAttempts POSTs, then no more');
      const [row] = await mine();
      assert.equal(row!.attempts, 3);
      assert.equal(row!.lastError, 'HTTP 503 from the back-channel logout URI');
      const token = delegatedToken(h, 'globaladmin', ['AuditLog.Read.All']);
      const list = async (activity: string) =>
        (
          await call(h, 'GET', `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(`activityDisplayName eq '${activity}'`)}`, {
            token,
          })
        ).json.value.filter((r: { targetResources: { id: string }[] }) => r.targetResources[0]?.id === extraUsers.grace!.id);
      const failed = await list(OUTBOX_ACTIVITY.deliveryFailed);
      assert.equal(failed.length, 1);
      assert.equal(failed[0].result, 'failure');
      assert.match(failed[0].resultReason, /gave up after 3 attempt\(s\): HTTP 503/);
      assert.deepEqual(
        failed[0].targetResources[0].modifiedProperties.find((m: { displayName: string }) => m.displayName === 'Sink').newValue,
        BACKCHANNEL_LOGOUT_SINK,
      );
      assert.equal((await list(OUTBOX_ACTIVITY.attemptFailed)).length, 3);
    } finally {
      receiver.respond = () => 200;
    }
  });
});
