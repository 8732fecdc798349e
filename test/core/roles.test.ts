import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROLE, resolveRole } from '../../src/core/roles.js';

test('roles resolve by display name (any case) or template id', () => {
  assert.equal(resolveRole('helpdesk administrator'), ROLE.helpdeskAdministrator);
  assert.equal(resolveRole(ROLE.globalAdministrator), ROLE.globalAdministrator);
  assert.equal(resolveRole('Emperor'), undefined);
});
