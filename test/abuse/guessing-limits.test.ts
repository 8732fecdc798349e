import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { CookieJar, hiddenField } from '../helpers/browser-flow.js';
import { APP, DAEMON_SECRET, TENANT_ID, WEB_SECRET, makeHarness, type Harness } from '../helpers/harness.js';
import { SOURCE_A, SOURCE_B, tokenFrom } from './abuse-helpers.js';

/**
 * Guessing limits on the other secrets: client secrets at /token (429 + Retry-After per client id
 * and per source), user codes on /devicelogin (per source and per browser) and unknown device
 * codes polled at /token (per source).
 */
const clientCredentials = (clientId: string, secret: string) => ({
  grant_type: 'client_credentials',
  client_id: clientId,
  client_secret: secret,
  scope: 'https://graph.microsoft.com/.default',
});

function assertThrottled(res: { status: number; body: Record<string, unknown>; headers: Record<string, unknown> }, seconds: number) {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.headers['retry-after'], String(seconds));
  assert.equal(res.body.error, 'temporarily_unavailable');
  assert.deepEqual(res.body.error_codes, [90055]);
}

describe('client-secret guessing at /token', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let h: Harness;
  before(async () => {
    h = await makeHarness({ clock, config: { abuse: { sourceClientSecret: null } } });
  });
  after(async () => h.close());

  test('20 wrong secrets per client id, then 429 with Retry-After even for the right secret, from any source; 60 s later it works', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await tokenFrom(h, i % 2 ? SOURCE_A : SOURCE_B, clientCredentials(APP.webApp, `guess-${i}`));
      assert.equal(r.status, 401);
      assert.deepEqual(r.body.error_codes, [7000215]);
    }
    assertThrottled(await tokenFrom(h, SOURCE_B, clientCredentials(APP.webApp, WEB_SECRET)), 60);
    clock.advance(30_000);
    assertThrottled(await tokenFrom(h, SOURCE_A, clientCredentials(APP.webApp, 'guess-x')), 30);
    clock.advance(30_000);
    assert.equal((await tokenFrom(h, SOURCE_A, clientCredentials(APP.webApp, WEB_SECRET))).status, 200);
    assert.equal(
      (await tokenFrom(h, SOURCE_A, clientCredentials(APP.daemonNoPerms, DAEMON_SECRET))).status,
      200,
      'other clients are untouched',
    );
  });

  test('a client whose secret this instance verified recently keeps working while guessers are locked out', async () => {
    assert.equal((await tokenFrom(h, SOURCE_A, clientCredentials(APP.daemonNoPerms, DAEMON_SECRET))).status, 200);
    for (let i = 0; i < 20; i++) await tokenFrom(h, SOURCE_B, clientCredentials(APP.daemonNoPerms, `guess-${i}`));
    assertThrottled(await tokenFrom(h, SOURCE_B, clientCredentials(APP.daemonNoPerms, 'guess-more')), 60);
    assert.equal((await tokenFrom(h, SOURCE_A, clientCredentials(APP.daemonNoPerms, DAEMON_SECRET))).status, 200);
  });
});

test('a burst of parallel wrong secrets is counted one by one: exactly 20 are checked, the rest get 429', async () => {
  const h = await makeHarness({ clock: new ManualClock(Date.UTC(2026, 2, 1)), config: { abuse: { sourceClientSecret: null } } });
  try {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => tokenFrom(h, SOURCE_A, clientCredentials(APP.webApp, `burst-${i}`))),
    );
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 401).length, 20, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 20, statuses.join(','));
  } finally {
    await h.close();
  }
});

describe('client-secret guessing per source', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let h: Harness;
  before(async () => {
    h = await makeHarness({ clock, config: { abuse: { clientSecret: null } } });
  });
  after(async () => h.close());

  test('wrong secrets for different clients from one source lock that source only', async () => {
    for (let i = 0; i < 20; i++) await tokenFrom(h, SOURCE_A, clientCredentials(i % 2 ? APP.webApp : APP.daemonNoPerms, `guess-${i}`));
    assertThrottled(await tokenFrom(h, SOURCE_A, clientCredentials(APP.webApp, WEB_SECRET)), 60);
    assert.equal((await tokenFrom(h, SOURCE_B, clientCredentials(APP.webApp, WEB_SECRET))).status, 200);
  });
});

describe('device-code guessing', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let h: Harness;
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(async () => h.close());

  async function browser(remoteAddress: string) {
    const jar = new CookieJar();
    const form = await h.app.http.inject({ method: 'GET', url: '/devicelogin', remoteAddress });
    jar.absorb(form.headers['set-cookie']);
    const csrf = hiddenField(form.body, 'csrf');
    return {
      jar,
      enter: (userCode: string, from = remoteAddress) =>
        h.app.http.inject({
          method: 'POST',
          url: '/devicelogin',
          remoteAddress: from,
          headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ csrf, user_code: userCode }).toString(),
        }),
    };
  }

  async function realUserCode(): Promise<{ userCode: string; deviceCode: string }> {
    const res = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ client_id: APP.publicClient, scope: 'User.Read' }).toString(),
    });
    return { userCode: String(res.json().user_code), deviceCode: String(res.json().device_code) };
  }

  test('ten wrong user codes from a source, then 429 with Retry-After even for a real code; other browsers there too', async () => {
    const { userCode } = await realUserCode();
    const b1 = await browser(SOURCE_A);
    for (let i = 0; i < 10; i++) assert.equal((await b1.enter(`BCDFGHJK${i}`)).statusCode, 400);
    const refused = await b1.enter(userCode);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '60');
    assert.doesNotMatch(refused.body, /Public Client/, 'the real code was not looked up');
    const b2 = await browser(SOURCE_A);
    assert.equal((await b2.enter(userCode)).statusCode, 429, 'per source: a fresh browser at the same address is refused');
    const b3 = await browser(SOURCE_B);
    assert.equal((await b3.enter(userCode)).statusCode, 200, 'another address is not');
    clock.advance(60_000);
    assert.equal((await b1.enter(userCode)).statusCode, 200);
  });

  test('a burst of parallel wrong codes from one browser: exactly ten are looked up, the rest get 429', async () => {
    const b = await browser('192.0.2.50');
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => b.enter(`BURST${String(i).padStart(4, '0')}`)));
    const statuses = answers.map((a) => a.statusCode);
    assert.equal(statuses.filter((s) => s === 400).length, 10, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 15, statuses.join(','));
  });

  test('per browser: a guesser that changes address keeps its count', async () => {
    const { userCode } = await realUserCode();
    const b = await browser('192.0.2.1');
    for (let i = 0; i < 10; i++) await b.enter(`ZZZZZZZZ${i}`, `192.0.2.${i + 10}`);
    assert.equal((await b.enter(userCode, '192.0.2.99')).statusCode, 429);
  });

  test('polling /token with unknown device codes: ten, then 429; known codes from other sources still poll', async () => {
    const poll = (deviceCode: string, from: string) =>
      tokenFrom(h, from, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: APP.publicClient,
        device_code: deviceCode,
      });
    for (let i = 0; i < 10; i++) assert.deepEqual((await poll(`made-up-${i}`, '192.0.2.200')).body.error_codes, [70000]);
    const { deviceCode } = await realUserCode();
    assertThrottled(await poll(deviceCode, '192.0.2.200'), 60);
    assert.equal((await poll(deviceCode, SOURCE_B)).body.error, 'authorization_pending');
  });
});
