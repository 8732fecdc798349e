import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROLE, mayRevokeSessionsOf, resolveRole } from '../../src/core/roles.js';

test('roles resolve by display name (any case) or template id', () => {
  assert.equal(resolveRole('helpdesk administrator'), ROLE.helpdeskAdministrator);
  assert.equal(resolveRole(ROLE.globalAdministrator), ROLE.globalAdministrator);
  assert.equal(resolveRole('Emperor'), undefined);
});

test('a target with several roles needs an actor allowed for every one of them', () => {
  // Helpdesk may act on a Password Administrator, not on a User Administrator (https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions).
  assert.equal(mayRevokeSessionsOf([ROLE.helpdeskAdministrator], [ROLE.passwordAdministrator]), true);
  assert.equal(mayRevokeSessionsOf([ROLE.helpdeskAdministrator], [ROLE.passwordAdministrator, ROLE.userAdministrator]), false);
  // Unlisted roles fall under "all other roles": Privileged Authentication and Global Administrators only.
  assert.equal(mayRevokeSessionsOf([ROLE.userAdministrator], [ROLE.securityAdministrator]), false);
  assert.equal(mayRevokeSessionsOf([ROLE.privilegedAuthenticationAdministrator], [ROLE.securityAdministrator]), true);
  // An actor without a revoking role may not act on anyone.
  assert.equal(mayRevokeSessionsOf([ROLE.directoryReaders], []), false);
});
