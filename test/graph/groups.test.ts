/**
 * /groups through the real app: create (security groups only), get, list with $filter and
 * paging, delete, direct and transitive members, membership changes by $ref, audit records, and
 * who may do each (core/authorization/group-actions.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE } from '../../src/core/roles.js';
import { PUBLIC_URL, TENANT_ID, appToken, delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { assertGraphError, call, pathOf } from './graph-helpers.js';

describe('/groups', () => {
  let h: Harness;
  let admin: string; // Groups Administrator with Group.ReadWrite.All
  before(async () => {
    h = await makeHarness();
    await h.store.users.update(TENANT_ID, h.users.bob!.id, { roleTemplateIds: [ROLE.groupsAdministrator] }, { audit: [] });
    admin = delegatedToken(h, 'bob', ['Group.ReadWrite.All']);
  });
  after(() => h.close());

  const create = async (token: string, displayName: string) =>
    call(h, 'POST', '/v1.0/groups', {
      token,
      body: { displayName, mailNickname: displayName.replace(/\W/g, ''), mailEnabled: false, securityEnabled: true },
    });
  const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

  test('POST creates a security group (201, Location, Graph shape, Add group audit); GET reads it', async () => {
    const res = await create(admin, 'Team Alpha');
    assert.equal(res.status, 201, res.body);
    assert.equal(res.headers.location, `${PUBLIC_URL}/v1.0/groups/${res.json.id}`);
    assert.equal(res.json['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#groups/$entity`);
    assert.equal(res.json.displayName, 'Team Alpha');
    assert.equal(res.json.securityEnabled, true);
    assert.equal(res.json.mailEnabled, false);
    assert.deepEqual(res.json.groupTypes, []);
    const got = await call(h, 'GET', `/v1.0/groups/${res.json.id}`, { token: delegatedToken(h, 'alice', ['Group.Read.All']) });
    assert.equal(got.status, 200, got.body);
    assert.equal(got.json.id, res.json.id);
    const [audit] = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Add group', limit: 1 });
    assert.equal(audit?.category, 'GroupManagement');
    assert.equal(audit?.targetResources[0]?.id, res.json.id);
    // Microsoft 365 and role-assignable groups, and unknown properties, are refused.
    const m365 = await call(h, 'POST', '/v1.0/groups', {
      token: admin,
      body: { displayName: 'M', mailNickname: 'm', mailEnabled: true, securityEnabled: false, groupTypes: ['Unified'] },
    });
    assertGraphError(m365, 400, 'Request_BadRequest');
    const missing = await call(h, 'POST', '/v1.0/groups', {
      token: admin,
      body: { mailNickname: 'x', mailEnabled: false, securityEnabled: true },
    });
    assertGraphError(missing, 400, 'Request_BadRequest', 'Property displayName value is required but is empty or missing.');
    assertGraphError(
      await call(h, 'GET', '/v1.0/groups/not-a-guid', { token: admin }),
      400,
      'Request_BadRequest',
      "Invalid object identifier 'not-a-guid'.",
    );
    assertGraphError(
      await call(h, 'GET', '/v1.0/groups/00000000-0000-4000-8000-000000000000', { token: admin }),
      404,
      'Request_ResourceNotFound',
    );
  });

  test('who may: roles holding groups/create, groups/delete, groups/members/update; apps by permission', async () => {
    assert.equal((await create(delegatedToken(h, 'useradmin', ['Group.ReadWrite.All']), 'By User Admin')).status, 201);
    assert.equal((await create(delegatedToken(h, 'globaladmin', ['Directory.ReadWrite.All']), 'By Global Admin')).status, 201);
    const byWriter = await create(delegatedToken(h, 'dirwriter', ['Group.ReadWrite.All']), 'By Directory Writer');
    assert.equal(byWriter.status, 201);
    for (const who of ['alice', 'helpdesk', 'authadmin']) {
      assertGraphError(await create(delegatedToken(h, who, ['Group.ReadWrite.All']), `By ${who}`), 403, 'Authorization_RequestDenied');
    }
    // The role without the scope, and a read scope for a write: refused.
    assertGraphError(await create(delegatedToken(h, 'bob', ['Group.Read.All']), 'x'), 403, 'Authorization_RequestDenied');
    // Directory Writers may not delete.
    const writer = delegatedToken(h, 'dirwriter', ['Group.ReadWrite.All']);
    assertGraphError(await call(h, 'DELETE', `/v1.0/groups/${byWriter.json.id}`, { token: writer }), 403, 'Authorization_RequestDenied');
    assert.equal((await create(appToken(h, ['Group.Create']), 'By App')).status, 201);
    assertGraphError(await create(appToken(h, ['Group.Read.All']), 'x'), 403, 'Authorization_RequestDenied');
    assertGraphError(await call(h, 'GET', '/v1.0/groups', { token: appToken(h, ['User.Read.All']) }), 403, 'Authorization_RequestDenied');
    assertGraphError(
      await call(h, 'GET', '/v1.0/groups', { token: delegatedToken(h, 'alice', ['User.Read.All']) }),
      403,
      'Authorization_RequestDenied',
    );
    assert.equal((await call(h, 'GET', '/v1.0/groups', { token: appToken(h, ['GroupMember.Read.All']) })).status, 200);
    // 403 comes before 404.
    assertGraphError(
      await call(h, 'DELETE', '/v1.0/groups/00000000-0000-4000-8000-000000000000', { token: writer }),
      403,
      'Authorization_RequestDenied',
    );
  });

  test('members: add by $ref (users and groups), nested transitive members, remove, errors', async () => {
    const outer = (await create(admin, 'Outer')).json;
    const inner = (await create(admin, 'Inner')).json;
    const { alice, helpdesk, disabled } = h.users as Record<string, { id: string; userPrincipalName: string }>;
    const add = (groupId: string, id: string, token = admin) =>
      call(h, 'POST', `/v1.0/groups/${groupId}/members/$ref`, { token, body: ref(id) });
    assert.equal((await add(outer.id, alice!.id)).status, 204);
    assert.equal((await add(outer.id, inner.id)).status, 204);
    assert.equal((await add(inner.id, helpdesk!.id)).status, 204);
    assert.equal((await add(inner.id, disabled!.id)).status, 204);
    assertGraphError(
      await add(outer.id, alice!.id),
      400,
      'Request_BadRequest',
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
    assertGraphError(await add(outer.id, outer.id), 400, 'Request_BadRequest');
    assertGraphError(await add(outer.id, '00000000-0000-4000-8000-000000000000'), 404, 'Request_ResourceNotFound');
    assertGraphError(
      await add(outer.id, alice!.id, delegatedToken(h, 'alice', ['GroupMember.ReadWrite.All'])),
      403,
      'Authorization_RequestDenied',
    );

    const reader = delegatedToken(h, 'alice', ['GroupMember.Read.All']);
    const direct = await call(h, 'GET', `/v1.0/groups/${outer.id}/members`, { token: reader });
    assert.equal(direct.status, 200, direct.body);
    assert.equal(direct.json['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#directoryObjects`);
    const types = Object.fromEntries(direct.json.value.map((o: { id: string; '@odata.type': string }) => [o.id, o['@odata.type']]));
    assert.deepEqual(types, { [alice!.id]: '#microsoft.graph.user', [inner.id]: '#microsoft.graph.group' });

    const seen: string[] = [];
    let url: string | undefined = `/v1.0/groups/${outer.id}/transitiveMembers?$top=2`;
    for (let i = 0; url && i < 10; i++) {
      const page = await call(h, 'GET', url, { token: reader });
      assert.equal(page.status, 200, page.body);
      seen.push(...page.json.value.map((o: { id: string }) => o.id));
      url = page.json['@odata.nextLink'] ? pathOf(page.json['@odata.nextLink']) : undefined;
    }
    assert.deepEqual(seen.sort(), [alice!.id, inner.id, helpdesk!.id, disabled!.id].sort());

    const remove = await call(h, 'DELETE', `/v1.0/groups/${inner.id}/members/${helpdesk!.id}/$ref`, { token: admin });
    assert.equal(remove.status, 204, remove.body);
    assertGraphError(
      await call(h, 'DELETE', `/v1.0/groups/${inner.id}/members/${helpdesk!.id}/$ref`, { token: admin }),
      404,
      'Request_ResourceNotFound',
    );
    const audits = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Remove member from group', limit: 5 });
    assert.equal(audits.length, 1);
    assert.equal(audits[0]?.targetResources[0]?.modifiedProperties[0]?.oldValue, helpdesk!.id);
  });

  test('list: $filter displayName eq / startsWith (case-insensitive), paging, unsupported filters; delete', async () => {
    for (const n of ['Paged 1', 'Paged 2', 'Paged 3']) await create(admin, n);
    const reader = delegatedToken(h, 'alice', ['Group.Read.All']);
    const q = (f: string) => `/v1.0/groups?$filter=${encodeURIComponent(f)}`;
    const prefix = await call(h, 'GET', `${q("startswith(displayName,'paged')")}&$top=2`, { token: reader });
    assert.equal(prefix.status, 200, prefix.body);
    assert.equal(prefix.json.value.length, 2);
    const rest = await call(h, 'GET', pathOf(prefix.json['@odata.nextLink']), { token: reader });
    assert.equal(rest.json.value.length, 1);
    const eq = await call(h, 'GET', q("displayName eq 'PAGED 2'"), { token: reader });
    assert.deepEqual(
      eq.json.value.map((g: { displayName: string }) => g.displayName),
      ['Paged 2'],
    );
    assertGraphError(await call(h, 'GET', q("mailNickname eq 'x'"), { token: reader }), 400, 'Request_UnsupportedQuery');
    assertGraphError(await call(h, 'GET', q("displayName eq 'x"), { token: reader }), 400, 'Request_BadRequest');

    const id = eq.json.value[0].id;
    assert.equal((await call(h, 'DELETE', `/v1.0/groups/${id}`, { token: admin })).status, 204);
    assertGraphError(await call(h, 'GET', `/v1.0/groups/${id}`, { token: reader }), 404, 'Request_ResourceNotFound');
    assertGraphError(await call(h, 'DELETE', `/v1.0/groups/${id}`, { token: admin }), 404, 'Request_ResourceNotFound');
  });

  test('PATCH changes displayName, description, mailNickname (204, one Update group audit naming each); errors and who may', async () => {
    const g = (await create(admin, 'Patch Me')).json;
    const patch = (body: unknown, token = admin, id = g.id) => call(h, 'PATCH', `/v1.0/groups/${id}`, { token, body });
    const res = await patch({ displayName: 'Patched', description: 'about it', mailNickname: 'patched' });
    assert.equal(res.status, 204, res.body);
    const got = await call(h, 'GET', `/v1.0/groups/${g.id}`, { token: admin });
    assert.equal(got.json.displayName, 'Patched');
    assert.equal(got.json.description, 'about it');
    assert.equal(got.json.mailNickname, 'patched');
    const [audit] = await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Update group', limit: 5 });
    assert.equal(audit?.category, 'GroupManagement');
    assert.deepEqual(
      audit?.targetResources[0]?.modifiedProperties.map((p) => [p.displayName, p.oldValue, p.newValue]),
      [
        ['DisplayName', 'Patch Me', 'Patched'],
        ['Description', null, 'about it'],
        ['MailNickname', 'PatchMe', 'patched'],
      ],
    );
    // null clears the description; an unchanged value writes no audit record.
    assert.equal((await patch({ description: null })).status, 204);
    assert.equal((await call(h, 'GET', `/v1.0/groups/${g.id}`, { token: admin })).json.description, null);
    assert.equal((await patch({ displayName: 'Patched' })).status, 204);
    assert.equal((await h.store.audit.list({ tenantId: TENANT_ID, activityDisplayName: 'Update group', limit: 10 })).length, 2);

    assertGraphError(
      await patch({ mailNickname: 'has space' }),
      400,
      'Request_BadRequest',
      "Invalid value specified for property 'mailNickname' of resource 'Group'.",
    );
    assertGraphError(await patch({ displayName: null }), 400, 'Request_BadRequest');
    assertGraphError(await patch({ displayName: '' }), 400, 'Request_BadRequest');
    assertGraphError(await patch({ securityEnabled: false }), 400, 'Request_BadRequest');
    assertGraphError(await patch([1]), 400, 'Request_BadRequest');
    assertGraphError(await patch({ displayName: 'x' }, admin, 'not-a-guid'), 400, 'Request_BadRequest');
    assertGraphError(await patch({ displayName: 'x' }, admin, '00000000-0000-4000-8000-000000000000'), 404, 'Request_ResourceNotFound');
    // Roles holding groups/basic/update with a write scope, and apps with a write permission.
    assert.equal((await patch({ displayName: 'By Writer' }, delegatedToken(h, 'dirwriter', ['Group.ReadWrite.All']))).status, 204);
    assert.equal((await patch({ displayName: 'By App' }, appToken(h, ['Group.ReadWrite.All']))).status, 204);
    assert.equal((await patch({ displayName: 'By Global' }, delegatedToken(h, 'globaladmin', ['Directory.ReadWrite.All']))).status, 204);
    for (const who of ['alice', 'helpdesk', 'authadmin']) {
      assertGraphError(
        await patch({ displayName: who }, delegatedToken(h, who, ['Group.ReadWrite.All'])),
        403,
        'Authorization_RequestDenied',
      );
    }
    assertGraphError(
      await patch({ displayName: 'x' }, delegatedToken(h, 'bob', ['GroupMember.ReadWrite.All'])),
      403,
      'Authorization_RequestDenied',
    );
    assertGraphError(await patch({ displayName: 'x' }, appToken(h, ['Group.Create'])), 403, 'Authorization_RequestDenied');
    assert.equal((await call(h, 'GET', `/v1.0/groups/${g.id}`, { token: admin })).json.displayName, 'By Global');
  });

  test('$select on groups and members; $count (ConsistencyLevel: eventual) on /groups and members, and the /$count segments', async () => {
    const outer = (await create(admin, 'Counted Outer')).json;
    const inner = (await create(admin, 'Counted Inner')).json;
    const { alice, helpdesk } = h.users as Record<string, { id: string }>;
    for (const [g, m] of [
      [outer.id, alice!.id],
      [outer.id, inner.id],
      [inner.id, helpdesk!.id],
    ] as const) {
      assert.equal((await call(h, 'POST', `/v1.0/groups/${g}/members/$ref`, { token: admin, body: ref(m) })).status, 204);
    }
    const reader = delegatedToken(h, 'alice', ['GroupMember.Read.All']);
    const eventual = { consistencylevel: 'eventual' };

    const one = await call(h, 'GET', `/v1.0/groups/${outer.id}?$select=displayName,ID`, { token: reader });
    assert.equal(one.status, 200, one.body);
    assert.deepEqual(one.json, {
      '@odata.context': `${PUBLIC_URL}/v1.0/$metadata#groups(displayName,id)/$entity`,
      displayName: 'Counted Outer',
      id: outer.id,
    });
    assertGraphError(await call(h, 'GET', `/v1.0/groups/${outer.id}?$select=nope`, { token: reader }), 400, 'Request_BadRequest');

    const filter = encodeURIComponent("startswith(displayName,'counted')");
    const listed = await call(h, 'GET', `/v1.0/groups?$filter=${filter}&$select=displayName&$count=true&$top=1`, {
      token: reader,
      headers: eventual,
    });
    assert.equal(listed.status, 200, listed.body);
    assert.equal(listed.json['@odata.count'], 2);
    assert.deepEqual(Object.keys(listed.json.value[0]), ['displayName']);
    assert.ok(listed.json['@odata.nextLink'].includes('$select=displayName'));
    // Without the header, $count=true is ignored, as Graph does; a bad value is refused.
    const plain = await call(h, 'GET', `/v1.0/groups?$filter=${filter}&$count=true`, { token: reader });
    assert.equal(plain.json['@odata.count'], undefined);
    assertGraphError(await call(h, 'GET', '/v1.0/groups?$count=maybe', { token: reader }), 400, 'Request_BadRequest');

    const n = await call(h, 'GET', `/v1.0/groups/$count?$filter=${filter}`, { token: reader, headers: eventual });
    assert.equal(n.status, 200, n.body);
    assert.equal(n.body, '2');
    assertGraphError(
      await call(h, 'GET', '/v1.0/groups/$count', { token: reader }),
      400,
      'Request_BadRequest',
      '$count is not currently supported.',
    );

    const members = await call(h, 'GET', `/v1.0/groups/${outer.id}/members?$select=id,userPrincipalName,securityEnabled&$count=true`, {
      token: reader,
      headers: eventual,
    });
    assert.equal(members.status, 200, members.body);
    assert.equal(members.json['@odata.count'], 2);
    assert.equal(members.json['@odata.context'], `${PUBLIC_URL}/v1.0/$metadata#directoryObjects(id,userPrincipalName,securityEnabled)`);
    const byId = Object.fromEntries(members.json.value.map((o: { id: string }) => [o.id, o]));
    assert.deepEqual(Object.keys(byId[alice!.id]).sort(), ['@odata.type', 'id', 'userPrincipalName']);
    assert.deepEqual(byId[inner.id], { '@odata.type': '#microsoft.graph.group', id: inner.id, securityEnabled: true });
    const transitive = await call(h, 'GET', `/v1.0/groups/${outer.id}/transitiveMembers/$count`, { token: reader, headers: eventual });
    assert.equal(transitive.body, '3');
    assert.equal((await call(h, 'GET', `/v1.0/groups/${outer.id}/members/$count`, { token: reader, headers: eventual })).body, '2');
    assertGraphError(await call(h, 'GET', `/v1.0/groups/${outer.id}/members/$count`, { token: reader }), 400, 'Request_BadRequest');
    assertGraphError(
      await call(h, 'GET', `/v1.0/groups/${outer.id}/members/$count`, {
        token: delegatedToken(h, 'alice', ['User.Read.All']),
        headers: eventual,
      }),
      403,
      'Authorization_RequestDenied',
    );
  });
});
