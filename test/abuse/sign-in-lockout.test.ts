import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { makeAppConfig } from '../../src/config.js';
import { ACTIVITY } from '../../src/core/audit.js';
import { lockoutKey } from '../../src/core/lockout.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { SIGN_IN_REFUSED } from '../../src/web/sign-in-messages.js';
import { PASSWORD, PUBLIC_URL, TENANT_ID, appToken, makeHarness, type Harness } from '../helpers/harness.js';
import { SOURCE_A, SOURCE_B, formSignIn, passwordGrant } from './abuse-helpers.js';

/**
 * Smart lockout per user on every password entry (Entra: 10 failures, then a 1-minute lock that
 * grows), with the injected clock instead of sleeping.
 */
const MINUTE = 60_000;
const ALICE = 'alice@contoso.test';
const WRONG = 'not-the-password';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('smart lockout per user (defaults: 10 failures, 60 s, doubling)', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let h: Harness;
  before(async () => {
    h = await makeHarness({ clock });
  });
  after(async () => h.close());

  test('ten wrong passwords on the form, then even the right one is refused for 60 s; the lock is audited', async () => {
    for (let i = 1; i <= 10; i++) {
      const r = await formSignIn(h, ALICE, WRONG);
      assert.equal(r.signedIn, false);
      assert.match(r.body, new RegExp(esc(SIGN_IN_REFUSED.bad_credentials)), `attempt ${i}`);
    }
    const during = await formSignIn(h, ALICE, PASSWORD);
    assert.equal(during.signedIn, false, 'the right password is refused during the lock');
    assert.match(during.body, new RegExp(esc(SIGN_IN_REFUSED.locked)));
    const ropc = await passwordGrant(h, ALICE, PASSWORD);
    assert.equal(ropc.status, 400);
    assert.equal(ropc.body.error, 'invalid_grant');
    assert.deepEqual(ropc.body.error_codes, [50053]);

    const audits = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: ACTIVITY.lockout, limit: 10 });
    const mine = audits.filter((a) => a.targetResources[0]?.id === h.users.alice!.id);
    assert.equal(mine.length, 1, 'one audit record for the lock');
    assert.match(mine[0]!.resultReason, /after 10 failed attempts/);
    assert.equal(mine[0]!.targetResources[0]!.userPrincipalName, ALICE);
    // And through the Graph audit API, as an administrator would look for it.
    const viaGraph = await h.app.http.inject({
      method: 'GET',
      url: `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(`activityDisplayName eq '${ACTIVITY.lockout}'`)}`,
      headers: { authorization: `Bearer ${appToken(h, ['AuditLog.Read.All'])}` },
    });
    assert.equal(viaGraph.statusCode, 200, viaGraph.body);
    assert.ok(
      (viaGraph.json().value as { targetResources: { id: string }[] }[]).some((r) => r.targetResources[0]?.id === h.users.alice!.id),
    );

    clock.advance(59_000);
    assert.equal((await formSignIn(h, ALICE, PASSWORD)).signedIn, false, 'still locked at 59 s');
    clock.advance(1_000);
    assert.equal((await formSignIn(h, ALICE, PASSWORD)).signedIn, true, 'the lock lifts after 60 s');
  });

  test('a successful sign-in resets the count', async () => {
    for (let i = 0; i < 9; i++) await formSignIn(h, ALICE, WRONG);
    assert.equal((await formSignIn(h, ALICE, PASSWORD)).signedIn, true);
    for (let i = 0; i < 9; i++) await formSignIn(h, ALICE, WRONG);
    assert.equal((await formSignIn(h, ALICE, PASSWORD)).signedIn, true, 'nine more failures do not lock: the count was reset');
    assert.equal(await h.store.lockouts.get(lockoutKey.user(TENANT_ID, h.users.alice!.id), clock.now()), null);
  });

  test('the lock grows: a failure after a lock locks again for 120 s, then 240 s', async () => {
    for (let i = 0; i < 10; i++) await formSignIn(h, 'bob@contoso.test', WRONG);
    clock.advance(MINUTE);
    await formSignIn(h, 'bob@contoso.test', WRONG);
    clock.advance(119_000);
    assert.equal((await formSignIn(h, 'bob@contoso.test', PASSWORD)).signedIn, false, 'locked for 120 s, not 60');
    clock.advance(1_000);
    await formSignIn(h, 'bob@contoso.test', WRONG);
    clock.advance(239_000);
    assert.equal((await passwordGrant(h, 'bob@contoso.test', PASSWORD)).status, 400, 'locked for 240 s');
    clock.advance(1_000);
    assert.equal((await passwordGrant(h, 'bob@contoso.test', PASSWORD)).status, 200);
  });

  test('every password entry shares one count: form, ROPC and the device sign-in page', async () => {
    const user = 'helpdesk@contoso.test';
    for (let i = 0; i < 4; i++) await formSignIn(h, user, WRONG);
    for (let i = 0; i < 4; i++) assert.deepEqual((await passwordGrant(h, user, WRONG)).body.error_codes, [50126]);
    // Two more on the device sign-in page's password form.
    const start = await h.app.http.inject({
      method: 'POST',
      url: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
      remoteAddress: SOURCE_A,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ client_id: 'a1b2c3d4-0000-4000-8000-000000000001', scope: 'User.Read' }).toString(),
    });
    const userCode = String(start.json().user_code);
    const form = await h.app.http.inject({ method: 'GET', url: '/devicelogin', remoteAddress: SOURCE_A });
    const cookie = String(([] as string[]).concat(form.headers['set-cookie'] ?? [])[0]).split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const approve = (password: string) =>
      h.app.http.inject({
        method: 'POST',
        url: '/devicelogin/approve',
        remoteAddress: SOURCE_A,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ csrf, user_code: userCode, action: 'sign-in', username: user, password }).toString(),
      });
    for (let i = 0; i < 2; i++) assert.match((await approve(WRONG)).body, new RegExp(esc(SIGN_IN_REFUSED.bad_credentials)));
    const locked = await approve(PASSWORD);
    assert.match(locked.body, new RegExp(esc(SIGN_IN_REFUSED.locked)), 'the tenth failure, on another surface, locked the account');
    assert.doesNotMatch(locked.body, /You have signed in/);
  });

  test('a lock holds from every source address; other users are not affected', async () => {
    const user = 'authadmin@contoso.test';
    for (let i = 0; i < 10; i++) await formSignIn(h, user, WRONG, SOURCE_A);
    assert.match((await formSignIn(h, user, PASSWORD, SOURCE_B)).body, new RegExp(esc(SIGN_IN_REFUSED.locked)));
    assert.equal((await formSignIn(h, 'useradmin@contoso.test', PASSWORD, SOURCE_A)).signedIn, true);
  });
});

describe('smart lockout per source address', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let h: Harness;
  before(async () => {
    // A small source threshold so that it, not the per-user one, trips first.
    h = await makeHarness({
      clock,
      config: { abuse: { sourceSignIn: { threshold: 5, lockoutSeconds: 60, maxLockoutSeconds: 3600, resetAfterSeconds: 3600 } } },
    });
  });
  after(async () => h.close());

  test('failures against many accounts (and unknown ones) lock the address, not the accounts', async () => {
    const targets = ['alice', 'bob', 'nobody-here', 'helpdesk', 'ghost'].map((u) => `${u}@contoso.test`);
    for (const t of targets) assert.equal((await passwordGrant(h, t, WRONG, SOURCE_A)).body.error_codes?.toString(), '50126');
    const blocked = await passwordGrant(h, 'useradmin@contoso.test', PASSWORD, SOURCE_A);
    assert.equal(blocked.status, 400);
    assert.deepEqual(blocked.body.error_codes, [50053]);
    assert.match(String(blocked.body.error_description), /IP address/);
    assert.match((await formSignIn(h, 'useradmin@contoso.test', PASSWORD, SOURCE_A)).body, new RegExp(esc(SIGN_IN_REFUSED.source_locked)));
    assert.equal((await formSignIn(h, 'alice@contoso.test', PASSWORD, SOURCE_B)).signedIn, true, 'another address signs alice in');
    const unknown = await h.store.lockouts.get(`user:${TENANT_ID}:nobody-here@contoso.test`, clock.now());
    assert.equal(unknown, null, 'unknown usernames create no per-user rows');
  });

  test('a success from the address does not reset the address count; the lock lifts with time', async () => {
    assert.equal((await formSignIn(h, 'bob@contoso.test', PASSWORD, SOURCE_A)).signedIn, false);
    clock.advance(MINUTE);
    assert.equal((await formSignIn(h, 'bob@contoso.test', PASSWORD, SOURCE_A)).signedIn, true);
    await formSignIn(h, 'bob@contoso.test', WRONG, SOURCE_A);
    assert.match(
      (await formSignIn(h, 'bob@contoso.test', PASSWORD, SOURCE_A)).body,
      new RegExp(esc(SIGN_IN_REFUSED.source_locked)),
      'one more failure locks again (120 s)',
    );
  });
});

test('the lock is durable: it holds after the process restarts on the same SQLite file', async () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const h = await makeHarness({ clock });
  try {
    for (let i = 0; i < 10; i++) await formSignIn(h, ALICE, WRONG);
    await h.app.close();
    await h.store.close();
    const store = openSqliteStore(h.dbFile, clock.now());
    const app = await createApp({ config: makeAppConfig({ publicUrl: PUBLIC_URL, logLevel: 'silent' }), store, clock });
    try {
      const again = { ...h, app, store };
      assert.deepEqual((await passwordGrant(again, ALICE, PASSWORD)).body.error_codes, [50053], 'still locked after the restart');
      clock.advance(MINUTE);
      assert.equal((await passwordGrant(again, ALICE, PASSWORD)).status, 200);
    } finally {
      await app.close();
      await store.close();
    }
  } finally {
    await h.close();
  }
});

test('turning a limit off (null) disables it', async () => {
  const h = await makeHarness({ config: { abuse: { userSignIn: null, sourceSignIn: null } } });
  try {
    for (let i = 0; i < 12; i++) await passwordGrant(h, ALICE, WRONG);
    assert.equal((await passwordGrant(h, ALICE, PASSWORD)).status, 200);
  } finally {
    await h.close();
  }
});

test('behind a trusted proxy the source is the address the proxy appended, not one the client forged', async () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const h = await makeHarness({
    clock,
    config: {
      trustProxy: true,
      abuse: { sourceSignIn: { threshold: 3, lockoutSeconds: 60, maxLockoutSeconds: 3600, resetAfterSeconds: 3600 } },
    },
  });
  try {
    const attempt = (forged: string, password: string) =>
      h.app.http.inject({
        method: 'POST',
        url: `/${TENANT_ID}/oauth2/v2.0/token`,
        remoteAddress: '10.0.0.2',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `${forged}, ${SOURCE_A}` },
        payload: new URLSearchParams({
          grant_type: 'password',
          client_id: 'a1b2c3d4-0000-4000-8000-000000000001',
          scope: 'User.Read',
          username: 'bob@contoso.test',
          password,
        }).toString(),
      });
    for (let i = 0; i < 3; i++) await attempt(`192.0.2.${i}`, WRONG);
    assert.deepEqual(
      (await attempt('192.0.2.77', PASSWORD)).json().error_codes,
      [50053],
      'a new forged left-most address does not escape the lock',
    );
  } finally {
    await h.close();
  }
});

test('a burst of parallel guesses is counted one by one: exactly ten are checked, the rest meet the lock', async () => {
  const h = await makeHarness({ clock: new ManualClock(Date.UTC(2026, 2, 1)) });
  try {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => passwordGrant(h, 'globaladmin@contoso.test', `burst-${i}`)));
    const codes = answers.map((a) => (a.body.error_codes as number[])[0]);
    assert.equal(codes.filter((c) => c === 50126).length, 10, codes.join(','));
    assert.equal(codes.filter((c) => c === 50053).length, 20, codes.join(','));
  } finally {
    await h.close();
  }
});
