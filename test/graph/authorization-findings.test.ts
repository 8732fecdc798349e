/**
 * Regression tests for three authorization findings, over the Graph API (docs/authorization.md):
 * 2. app-only tokens must follow the target rules (password reset needs
 *    User-PasswordProfile.ReadWrite.All; role holders need a directory role on the app);
 * 4. two roles must not compose into a right neither has;
 * 5. Directory Writers may invalidate refresh tokens of users without roles.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/core/model.js';
import { ROLE } from '../../src/core/roles.js';
import { newGuid } from '../../src/crypto/random.js';
import { DOMAIN, appToken, application, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, reload } from './graph-helpers.js';

const NEW_PASSWORD = { passwordProfile: { password: 'Fresh-Horse-42' } };

describe('authorization findings', () => {
  let h: Harness;
  /** A user holding Directory Writers AND Helpdesk Administrator. */
  let writerHelpdesk: string;
  /** A fresh user without roles per test that changes one. */
  const plainUser = async (alias: string): Promise<User> => {
    const user: User = { ...h.users.bob!, id: newGuid(), userPrincipalName: `${alias}@${DOMAIN}`, mail: null, roleTemplateIds: [] };
    await h.store.users.insert(user);
    return user;
  };

  before(async () => {
    h = await makeHarness();
    const both: User = {
      ...h.users.bob!,
      id: newGuid(),
      userPrincipalName: `dwhd@${DOMAIN}`,
      roleTemplateIds: [ROLE.directoryWriters, ROLE.helpdeskAdministrator],
    };
    await h.store.users.insert(both);
    h.users.dwhd = both;
    writerHelpdesk = delegatedToken(h, 'dwhd', ['User.ReadWrite.All', 'Directory.ReadWrite.All', 'User.RevokeSessions.All']);
  });
  after(() => h.close());

  describe('2: app-only callers', () => {
    test('User.ReadWrite.All cannot reset a Global Administrator password, nor anyone else', async () => {
      const token = appToken(h, ['User.ReadWrite.All', 'Directory.ReadWrite.All'], APP_WITHOUT_ROLE);
      for (const target of [h.users.globaladmin!, h.users.bob!]) {
        const before = await reload(h, target);
        assertGraphError(
          await call(h, 'PATCH', `/v1.0/users/${target.id}`, { token, body: NEW_PASSWORD }),
          403,
          'Authorization_RequestDenied',
        );
        assert.equal((await reload(h, target)).passwordHash, before.passwordHash);
      }
    });

    test('User.ReadWrite.All cannot disable or delete an administrator', async () => {
      const token = appToken(h, ['User.ReadWrite.All'], APP_WITHOUT_ROLE);
      for (const key of ['globaladmin', 'useradmin', 'helpdesk']) {
        const target = h.users[key]!;
        assertGraphError(
          await call(h, 'PATCH', `/v1.0/users/${target.id}`, { token, body: { accountEnabled: false } }),
          403,
          'Authorization_RequestDenied',
        );
        assertGraphError(await call(h, 'DELETE', `/v1.0/users/${target.id}`, { token }), 403, 'Authorization_RequestDenied');
        assert.equal((await reload(h, target)).accountEnabled, true);
      }
    });

    test('User-PasswordProfile.ReadWrite.All resets the password of a user without roles, not of an administrator', async () => {
      const token = appToken(h, ['User-PasswordProfile.ReadWrite.All'], APP_WITHOUT_ROLE);
      const carol = await plainUser('carol');
      assert.equal((await call(h, 'PATCH', `/v1.0/users/${carol.id}`, { token, body: NEW_PASSWORD })).status, 204);
      assert.notEqual((await reload(h, carol)).passwordHash, carol.passwordHash);
      assertGraphError(
        await call(h, 'PATCH', `/v1.0/users/${h.users.globaladmin!.id}`, { token, body: NEW_PASSWORD }),
        403,
        'Authorization_RequestDenied',
      );
    });

    test('an app with a directory role acts on the targets that role may act on', async () => {
      await h.store.applications.upsert(application({ appId: APP_USER_ADMIN, directoryRoles: [ROLE.userAdministrator] }));
      const token = appToken(h, ['User.ReadWrite.All', 'User-PasswordProfile.ReadWrite.All'], APP_USER_ADMIN);
      // User Administrator may act on a Helpdesk Administrator, not on a Global Administrator.
      assert.equal((await call(h, 'PATCH', `/v1.0/users/${h.users.helpdesk!.id}`, { token, body: NEW_PASSWORD })).status, 204);
      assertGraphError(
        await call(h, 'PATCH', `/v1.0/users/${h.users.globaladmin!.id}`, { token, body: NEW_PASSWORD }),
        403,
        'Authorization_RequestDenied',
      );
      assertGraphError(await call(h, 'DELETE', `/v1.0/users/${h.users.globaladmin!.id}`, { token }), 403, 'Authorization_RequestDenied');
      // The assignment is read per request: removing it takes effect at once.
      await h.store.applications.upsert(application({ appId: APP_USER_ADMIN, directoryRoles: [] }));
      assertGraphError(
        await call(h, 'PATCH', `/v1.0/users/${h.users.helpdesk!.id}`, { token, body: NEW_PASSWORD }),
        403,
        'Authorization_RequestDenied',
      );
    });
  });

  describe('4: each action is judged per role', () => {
    test('Directory Writers + Helpdesk Administrator may not delete a user (neither role may)', async () => {
      const dave = await plainUser('dave');
      assertGraphError(await call(h, 'DELETE', `/v1.0/users/${dave.id}`, { token: writerHelpdesk }), 403, 'Authorization_RequestDenied');
      await reload(h, dave); // still there
    });

    test('... nor disable or rename a Helpdesk Administrator (Directory Writers may disable only users without roles)', async () => {
      const target = h.users.helpdesk!;
      assertGraphError(
        await call(h, 'PATCH', `/v1.0/users/${target.id}`, { token: writerHelpdesk, body: { accountEnabled: false } }),
        403,
        'Authorization_RequestDenied',
      );
      assertGraphError(
        await call(h, 'PATCH', `/v1.0/users/${target.id}`, { token: writerHelpdesk, body: { userPrincipalName: `hd2@${DOMAIN}` } }),
        403,
        'Authorization_RequestDenied',
      );
      const now = await reload(h, target);
      assert.equal(now.accountEnabled, true);
      assert.equal(now.userPrincipalName, target.userPrincipalName);
    });

    test('... while each role keeps its own rights: disable a user without roles, reset a Helpdesk Administrator password', async () => {
      const erin = await plainUser('erin');
      assert.equal(
        (await call(h, 'PATCH', `/v1.0/users/${erin.id}`, { token: writerHelpdesk, body: { accountEnabled: false } })).status,
        204,
      );
      assert.equal(
        (await call(h, 'PATCH', `/v1.0/users/${h.users.helpdesk!.id}`, { token: writerHelpdesk, body: NEW_PASSWORD })).status,
        204,
      );
    });
  });

  describe('5: Directory Writers and invalidateAllRefreshTokens', () => {
    test('a Directory Writer invalidates the refresh tokens of a user without roles', async () => {
      const frank = await plainUser('frank');
      const token = delegatedToken(h, 'dirwriter', ['User.RevokeSessions.All']);
      const res = await call(h, 'POST', `/beta/users/${frank.id}/invalidateAllRefreshTokens`, { token });
      assert.equal(res.status, 204, res.body);
      assert.equal((await reload(h, frank)).revocationEpoch, frank.revocationEpoch + 1);
    });

    test('... but not of a role holder (Portcullis: Directory Writers act on users without roles only)', async () => {
      const token = delegatedToken(h, 'dirwriter', ['User.RevokeSessions.All']);
      const res = await call(h, 'POST', `/beta/users/${h.users.passwordadmin!.id}/invalidateAllRefreshTokens`, { token });
      assertGraphError(res, 403, 'Authorization_RequestDenied');
    });
  });
});

/** Stored applications: one without a directory role, one that gets User Administrator. */
const APP_WITHOUT_ROLE = 'a1b2c3d4-0000-4000-8000-0000000000a1';
const APP_USER_ADMIN = 'a1b2c3d4-0000-4000-8000-0000000000a2';
