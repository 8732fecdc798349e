/**
 * Unit checks of core/authorization/decide.ts on the cases the security findings named; the
 * whole table is checked in process and, sampled, over HTTP by test/graph/authorization-matrix.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayPerform, type Actor } from '../../src/core/authorization/decide.js';
import { ROLE } from '../../src/core/roles.js';

const ALL_SCOPES = new Set([
  'user.revokesessions.all',
  'user.readwrite.all',
  'directory.readwrite.all',
  'user-passwordprofile.readwrite.all',
]);
const user = (...roles: string[]): Actor => ({ kind: 'user', id: 'actor', roles, scopes: ALL_SCOPES });
const target = (...roles: string[]) => ({ id: 'target', roles });

test('a target with several roles needs one actor role allowed for every one of them', () => {
  assert.equal(mayPerform(user(ROLE.helpdeskAdministrator), 'invalidateAllRefreshTokens', target(ROLE.passwordAdministrator)), true);
  assert.equal(
    mayPerform(user(ROLE.helpdeskAdministrator), 'invalidateAllRefreshTokens', target(ROLE.passwordAdministrator, ROLE.userAdministrator)),
    false,
  );
  // Unlisted roles fall under "all other roles": Privileged Authentication and Global Administrators only.
  assert.equal(mayPerform(user(ROLE.userAdministrator), 'revokeSignInSessions', target(ROLE.securityAdministrator)), false);
  assert.equal(
    mayPerform(user(ROLE.privilegedAuthenticationAdministrator), 'revokeSignInSessions', target(ROLE.securityAdministrator)),
    true,
  );
});

test('two roles never combine into a right neither has (finding 4)', () => {
  // Directory Writers may disable, but only non-admins; Helpdesk may act on a Helpdesk
  // Administrator, but holds no disable or delete permission.
  const both = user(ROLE.directoryWriters, ROLE.helpdeskAdministrator);
  assert.equal(mayPerform(both, 'disable', target(ROLE.helpdeskAdministrator)), false);
  assert.equal(mayPerform(both, 'delete', target()), false);
  assert.equal(mayPerform(both, 'disable', target()), true); // Directory Writers alone may
  assert.equal(mayPerform(both, 'resetPassword', target(ROLE.helpdeskAdministrator)), true); // Helpdesk alone may
});

test('Directory Writers may invalidate refresh tokens of non-admins only (finding 5)', () => {
  assert.equal(mayPerform(user(ROLE.directoryWriters), 'invalidateAllRefreshTokens', target()), true);
  assert.equal(mayPerform(user(ROLE.directoryWriters), 'revokeSignInSessions', target()), true);
  assert.equal(mayPerform(user(ROLE.directoryWriters), 'invalidateAllRefreshTokens', target(ROLE.directoryReaders)), false);
  assert.equal(mayPerform(user(ROLE.directoryWriters), 'resetPassword', target()), false);
});

test('app-only callers follow the target rules (finding 2)', () => {
  const app = (permissions: string[], roles: string[] = []): Actor => ({
    kind: 'app',
    permissions: new Set(permissions.map((p) => p.toLowerCase())),
    roles,
  });
  const ga = target(ROLE.globalAdministrator);
  assert.equal(mayPerform(app(['User.ReadWrite.All']), 'resetPassword', target()), false);
  assert.equal(mayPerform(app(['User-PasswordProfile.ReadWrite.All']), 'resetPassword', target()), true);
  assert.equal(mayPerform(app(['User-PasswordProfile.ReadWrite.All']), 'resetPassword', ga), false);
  assert.equal(mayPerform(app(['User-PasswordProfile.ReadWrite.All'], [ROLE.userAdministrator]), 'resetPassword', ga), false);
  assert.equal(
    mayPerform(app(['User-PasswordProfile.ReadWrite.All'], [ROLE.privilegedAuthenticationAdministrator]), 'resetPassword', ga),
    true,
  );
  assert.equal(mayPerform(app(['User.ReadWrite.All']), 'disable', ga), false);
  assert.equal(mayPerform(app(['User.ReadWrite.All']), 'delete', ga), false);
  assert.equal(mayPerform(app(['User.ReadWrite.All']), 'disable', target()), true);
  assert.equal(mayPerform(app(['User.RevokeSessions.All']), 'revokeSignInSessions', ga), true);
  assert.equal(
    mayPerform(
      app(['User.RevokeSessions.All', 'Directory.ReadWrite.All'], [ROLE.globalAdministrator]),
      'invalidateAllRefreshTokens',
      target(),
    ),
    false,
  );
});
