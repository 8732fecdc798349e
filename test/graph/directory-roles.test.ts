/**
 * `GET /users/{id}/memberOf/microsoft.graph.directoryRole` and `/me/…` (src/graph/directory-roles.ts):
 * the roles a user holds, readable by whoever may read the user, refused to whoever may not.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ROLE } from '../../src/core/roles.js';
import { appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { call } from './graph-helpers.js';

let h: Harness;
before(async () => {
  h = await makeHarness();
});
after(() => h.close());

const roles = (path: string, token: string) => call(h, 'GET', `/v1.0${path}/memberOf/microsoft.graph.directoryRole`, { token });

test('a member reads another user’s roles; the roles are the directory’s, by template id and name', async () => {
  const res = await roles(`/users/${h.users.helpdesk!.id}`, delegatedToken(h, 'alice', ['User.ReadBasic.All']));
  assert.equal(res.status, 200, res.body);
  assert.deepEqual(
    (res.json.value as Record<string, unknown>[]).map((r) => [r['@odata.type'], r.roleTemplateId, r.id, r.displayName]),
    [['#microsoft.graph.directoryRole', ROLE.helpdeskAdministrator, ROLE.helpdeskAdministrator, 'Helpdesk Administrator']],
  );
  const none = await roles('/users/alice@contoso.test', delegatedToken(h, 'bob', ['User.Read.All']));
  assert.deepEqual(none.json.value, []);
});

test('/me with User.Read; another user needs a directory read permission; an app needs its own', async () => {
  const me = await roles('/me', delegatedToken(h, 'globaladmin', ['User.Read']));
  assert.equal((me.json.value as { roleTemplateId: string }[])[0]?.roleTemplateId, ROLE.globalAdministrator);
  const other = await roles(`/users/${h.users.globaladmin!.id}`, delegatedToken(h, 'alice', ['User.Read']));
  assert.equal(other.status, 403);
  const own = await roles(`/users/${h.users.alice!.id}`, delegatedToken(h, 'alice', ['User.Read']));
  assert.equal(own.status, 200);
  const app = await roles(`/users/${h.users.globaladmin!.id}`, appToken(h, ['User.Read.All']));
  assert.equal(app.status, 200);
  const appWithout = await roles(`/users/${h.users.globaladmin!.id}`, appToken(h, ['AuditLog.Read.All']));
  assert.equal(appWithout.status, 403);
  const unknown = await roles('/users/00000000-0000-0000-0000-000000000000', delegatedToken(h, 'alice', ['User.Read.All']));
  assert.equal(unknown.status, 404);
});
