import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACTIVITY } from '../../src/core/audit.js';
import { PASSWORD, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { passwordGrant } from '../abuse/abuse-helpers.js';
import { assertGraphError, call } from './graph-helpers.js';

/** POST /me/changePassword on the SQLite store through the real app, checked by signing in with ROPC. */
const NEW_PASSWORD = 'Fresh-Battery-42';

describe('POST /me/changePassword', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  test('204; the new password signs in, the old one no longer does; audited as "Change user password"', async () => {
    const token = delegatedToken(h, 'alice', ['User.ReadWrite']);
    const res = await call(h, 'POST', '/v1.0/me/changePassword', { token, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    assert.equal(res.status, 204, res.body);
    assert.equal(res.body, '');
    assert.equal((await passwordGrant(h, 'alice@contoso.test', NEW_PASSWORD)).status, 200);
    const old = await passwordGrant(h, 'alice@contoso.test', PASSWORD);
    assert.equal(old.status, 400);
    assert.equal(old.body.error, 'invalid_grant');
    // A self-service change revokes nothing (as in Entra): the token that made it still works.
    assert.equal((await call(h, 'GET', '/v1.0/me', { token })).status, 200);
    const audits = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: ACTIVITY.changePassword, limit: 10 });
    assert.equal(audits.length, 1);
    assert.equal(audits[0]!.targetResources[0]!.id, h.users.alice!.id);
    assert.equal(audits[0]!.initiatedBy.user?.id, h.users.alice!.id);
    assert.ok(!JSON.stringify(audits[0]).includes(NEW_PASSWORD), 'no password in the audit record');
  });

  test('a wrong current password is 400 "Invalid currentPassword." and counts toward smart lockout', async () => {
    const token = delegatedToken(h, 'bob', ['Directory.AccessAsUser.All']);
    for (let i = 1; i <= 10; i++) {
      const res = await call(h, 'POST', '/beta/me/changePassword', {
        token,
        body: { currentPassword: `wrong-${i}`, newPassword: NEW_PASSWORD },
      });
      assertGraphError(res, 400, 'Request_BadRequest', 'Invalid currentPassword.');
    }
    // Ten failures lock bob: the sign-in page and ROPC refuse even the right password (AADSTS50053) …
    const ropc = await passwordGrant(h, 'bob@contoso.test', PASSWORD);
    assert.equal(ropc.status, 400);
    assert.deepEqual(ropc.body.error_codes, [50053]);
    // … and so does the change itself, before looking at the password.
    const locked = await call(h, 'POST', '/v1.0/me/changePassword', {
      token,
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    assertGraphError(locked, 403, 'Authorization_RequestDenied');
    const changed = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: ACTIVITY.changePassword, limit: 10 });
    assert.ok(!changed.some((a) => a.targetResources[0]?.id === h.users.bob!.id), 'nothing changed for bob');
  });

  test('a new password that breaks the policy is 400 and changes nothing', async () => {
    const token = delegatedToken(h, 'useradmin', ['User.ReadWrite']);
    const res = await call(h, 'POST', '/v1.0/me/changePassword', { token, body: { currentPassword: PASSWORD, newPassword: 'short' } });
    assertGraphError(res, 400, 'Request_BadRequest', /does not comply with password complexity requirements/);
    assert.equal((await passwordGrant(h, 'useradmin@contoso.test', PASSWORD)).status, 200, 'the old password still works');
  });

  test('app-only is refused (no "me"); a delegated token without a scope that allows it is 403; missing fields are 400', async () => {
    const app = await call(h, 'POST', '/v1.0/me/changePassword', {
      token: appToken(h, ['User.ReadWrite.All', 'Directory.ReadWrite.All']),
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    assertGraphError(app, 400, 'Request_BadRequest', '/me request is only valid with delegated authentication flow.');
    const readOnly = await call(h, 'POST', '/v1.0/me/changePassword', {
      token: delegatedToken(h, 'helpdesk', ['User.Read']),
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    assertGraphError(readOnly, 403, 'Authorization_RequestDenied');
    const missing = await call(h, 'POST', '/v1.0/me/changePassword', {
      token: delegatedToken(h, 'helpdesk', ['User.ReadWrite']),
      body: { newPassword: NEW_PASSWORD },
    });
    assertGraphError(missing, 400, 'Request_BadRequest', "Required property 'currentPassword' is missing.");
    assert.equal((await passwordGrant(h, 'helpdesk@contoso.test', PASSWORD)).status, 200, 'unchanged');
  });

  test('unauthenticated: 401', async () => {
    const res = await call(h, 'POST', '/v1.0/me/changePassword', { body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    assertGraphError(res, 401, 'InvalidAuthenticationToken');
  });
});

describe('POST /me/changePassword and the per-address limit', () => {
  let h: Harness;
  before(async () => {
    // Two wrong passwords from one address would lock that address for sign-ins.
    h = await makeHarness({
      config: { abuse: { sourceSignIn: { threshold: 2, lockoutSeconds: 60, maxLockoutSeconds: 3600, resetAfterSeconds: 3600 } } },
    });
  });
  after(() => h.close());

  test("one user's wrong current passwords do not lock another user's change from the same address", async () => {
    const alice = delegatedToken(h, 'alice', ['User.ReadWrite']);
    for (let i = 0; i < 3; i++) {
      const wrong = await call(h, 'POST', '/v1.0/me/changePassword', {
        token: alice,
        body: { currentPassword: 'not-it', newPassword: NEW_PASSWORD },
      });
      assertGraphError(wrong, 400, 'Request_BadRequest');
    }
    const bob = delegatedToken(h, 'bob', ['User.ReadWrite']);
    const res = await call(h, 'POST', '/v1.0/me/changePassword', {
      token: bob,
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    assert.equal(res.status, 204, res.body);
    // The limit still guards sign-ins from that address: it was never charged by the changes above.
    assert.equal((await passwordGrant(h, 'bob@contoso.test', NEW_PASSWORD)).status, 200);
  });
});
