import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { revokeUserSessions } from '../../src/core/revocation.js';
import { CookieJar, hiddenField, refresh, tokenRequest } from '../helpers/browser-flow.js';
import { API, registerApis } from '../helpers/api-apps.js';
import { APP, PASSWORD, TENANT_ID, makeHarness, type Harness } from '../helpers/harness.js';

const clock = new ManualClock(Date.now());
let h: Harness;
before(async () => {
  h = await makeHarness({ clock });
  await registerApis(h.store);
});
after(async () => h.close());

async function startDeviceFlow(clientId: string = APP.publicClient, scope = 'openid offline_access User.RevokeSessions.All') {
  const res = await h.app.http.inject({
    method: 'POST',
    url: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ client_id: clientId, scope }).toString(),
  });
  return { status: res.statusCode, body: res.json() as Record<string, string | number> };
}

const poll = (deviceCode: string) =>
  tokenRequest(h, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: APP.publicClient, device_code: deviceCode });

/** The user's side: enter the code, then sign in and confirm on the confirmation page (or decline). */
async function userEntersCode(userCode: string, action: 'approve' | 'decline', username = 'alice@contoso.test') {
  const jar = new CookieJar();
  const form = await h.app.http.inject({ method: 'GET', url: '/devicelogin' });
  jar.absorb(form.headers['set-cookie']);
  const post = async (url: string, fields: Record<string, string>, csrf = hiddenField(form.body, 'csrf')) => {
    const res = await h.app.http.inject({
      method: 'POST',
      url,
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf, ...fields }).toString(),
    });
    jar.absorb(res.headers['set-cookie']);
    return res;
  };
  const step1 = await post('/devicelogin', { user_code: userCode.toLowerCase().replace(/(.{3})/, '$1-') });
  assert.equal(step1.statusCode, 200, step1.body.slice(0, 300));
  assert.match(step1.body, /Public Client/);
  if (action === 'decline') {
    const declined = await post('/devicelogin/approve', { user_code: userCode, action: 'decline' });
    assert.equal(declined.statusCode, 200);
    return declined.body;
  }
  const signedIn = await post('/devicelogin/approve', { user_code: userCode, action: 'sign-in', username, password: PASSWORD });
  assert.equal(signedIn.statusCode, 200);
  if (!/Are you trying to sign in to/.test(signedIn.body)) return signedIn.body;
  const confirmed = await post('/devicelogin/approve', { user_code: userCode, action: 'confirm' }, hiddenField(signedIn.body, 'csrf'));
  assert.equal(confirmed.statusCode, 200);
  return confirmed.body;
}

test('device code flow: pending, slow_down, approved, then refresh; revoke kills it', async () => {
  const start = await startDeviceFlow();
  assert.equal(start.status, 200, JSON.stringify(start.body));
  assert.equal(start.body.verification_uri, 'https://login.portcullis.test/devicelogin');
  assert.equal(start.body.expires_in, 900);
  assert.equal(start.body.interval, 5);
  assert.match(String(start.body.message), new RegExp(String(start.body.user_code)));
  const deviceCode = String(start.body.device_code);

  const pending = await poll(deviceCode);
  assert.equal(pending.body.error, 'authorization_pending');
  assert.deepEqual(pending.body.error_codes, [70016]);
  const tooFast = await poll(deviceCode);
  assert.equal(tooFast.body.error, 'slow_down');

  const done = await userEntersCode(String(start.body.user_code), 'approve');
  assert.match(done, /You have signed in/);
  clock.advance(5000);
  const ok = await poll(deviceCode);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.ok(ok.body.access_token && ok.body.refresh_token);
  clock.advance(5000);
  const again = await poll(deviceCode);
  assert.equal(again.body.error, 'invalid_grant', 'a device code is single use');

  const r = await refresh(h, ok.body.refresh_token as string);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await revokeUserSessions(h.store, h.clock, { target: h.users.alice!, actor: {}, correlationId: 't' });
  assert.deepEqual((await refresh(h, r.body.refresh_token as string)).body.error_codes, [50173]);
});

test('a declined code answers authorization_declined; an old one expired_token', async () => {
  const declined = await startDeviceFlow();
  await userEntersCode(String(declined.body.user_code), 'decline');
  clock.advance(5000);
  assert.equal((await poll(String(declined.body.device_code))).body.error, 'authorization_declined');

  const old = await startDeviceFlow();
  clock.advance(901_000);
  assert.equal((await poll(String(old.body.device_code))).body.error, 'expired_token');
});

test('bad user codes and apps without public client flows are refused', async () => {
  const form = await h.app.http.inject({ method: 'GET', url: '/devicelogin' });
  const jar = new CookieJar();
  jar.absorb(form.headers['set-cookie']);
  const bad = await h.app.http.inject({
    method: 'POST',
    url: '/devicelogin',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf: hiddenField(form.body, 'csrf'), user_code: 'WRONGCODE' }).toString(),
  });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /didn’t work/);
  const spa = await startDeviceFlow(APP.spa);
  assert.equal(spa.status, 401);
  assert.equal(spa.body.error, 'invalid_client');
  assert.equal((await poll('no-such-device-code')).body.error, 'invalid_grant');
});

test('device code flow with CAE: cp1 declared on the poll (as MSAL does) is kept by the grant', async () => {
  const cp1 = JSON.stringify({ access_token: { xms_cc: { values: ['CP1'] } } });
  const start = await startDeviceFlow();
  await userEntersCode(String(start.body.user_code), 'approve');
  const approved = await tokenRequest(h, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    client_id: APP.publicClient,
    device_code: String(start.body.device_code),
    claims: cp1,
  });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const xmsCc = (jwt: unknown) => JSON.parse(Buffer.from(String(jwt).split('.')[1]!, 'base64url').toString('utf8')).xms_cc;
  assert.deepEqual(xmsCc(approved.body.access_token), ['cp1']);
  const refreshed = await refresh(h, String(approved.body.refresh_token));
  assert.deepEqual(xmsCc(refreshed.body.access_token), ['cp1'], 'a refresh without claims keeps it');
});

test("a device code for an API's scope: the token is for that API (docs/your-app.md)", async () => {
  const start = await startDeviceFlow(APP.publicClient, `openid ${API.v1Uri}/access_as_user`);
  assert.equal(start.status, 200, JSON.stringify(start.body));
  assert.match(await userEntersCode(String(start.body.user_code), 'approve', 'bob@contoso.test'), /You have signed in/);
  clock.advance(5000);
  const ok = await poll(String(start.body.device_code));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const at = JSON.parse(Buffer.from(String(ok.body.access_token).split('.')[1]!, 'base64url').toString());
  assert.equal(at.aud, API.v1Uri);
  assert.equal(at.scp, 'access_as_user');
  assert.equal(ok.body.scope, `openid ${API.v1Uri}/access_as_user`);
});
