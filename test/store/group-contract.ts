import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { AuditRecord, Group, User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import { ConflictError, type Store } from '../../src/store/store.js';

/** GroupStore on both dialects: list by displayName, members, nested (and cyclic) transitive members, deletes. */
export function groupStoreContract(store: () => Store, now: number): void {
  describe('groups', () => {
    const tenant = newGuid();
    const group = (displayName: string): Group => ({
      id: newGuid(),
      tenantId: tenant,
      displayName,
      description: null,
      mailNickname: 'g',
      createdAt: now,
    });
    const audit = (activity: string): AuditRecord => ({
      id: newGuid(),
      tenantId: tenant,
      activityDateTime: now,
      activityDisplayName: activity,
      category: 'GroupManagement',
      loggedByService: 'Core Directory',
      operationType: 'Add',
      result: 'success',
      resultReason: '',
      correlationId: newGuid(),
      initiatedBy: {},
      targetResources: [],
    });
    const users: User[] = [];

    before(async () => {
      const s = store();
      await s.tenants.insert({ id: tenant, domain: 'groups.test', displayName: 'Groups', createdAt: now });
      for (let i = 0; i < 4; i++) {
        const u: User = {
          id: newGuid(),
          tenantId: tenant,
          userPrincipalName: `g${i}@groups.test`,
          displayName: `G ${i}`,
          mail: null,
          passwordHash: null,
          accountEnabled: true,
          revocationEpoch: 0,
          signInSessionsValidFrom: null,
          refreshTokensValidFrom: null,
          roleTemplateIds: [],
          createdAt: now,
        };
        await s.users.insert(u);
        users.push(u);
      }
    });

    test('insert, find, list by displayName (case-insensitive eq and prefix) with keyset paging; a taken id conflicts', async () => {
      const s = store();
      const made = [group('Team Red'), group('team blue'), group('Other')];
      for (const g of made) await s.groups.insert(g, [audit('Add group')]);
      await assert.rejects(s.groups.insert({ ...made[0]! }), ConflictError);
      assert.deepEqual(await s.groups.findById(tenant, made[0]!.id), made[0]);
      assert.equal(await s.groups.findById('another-tenant', made[0]!.id), null);
      const team = await s.groups.list({ tenantId: tenant, displayName: { op: 'startsWith', value: 'TEAM' }, limit: 10 });
      assert.deepEqual(team.map((g) => g.displayName).sort(), ['Team Red', 'team blue']);
      const eq = await s.groups.list({ tenantId: tenant, displayName: { op: 'eq', value: 'other' }, limit: 10 });
      assert.deepEqual(
        eq.map((g) => g.id),
        [made[2]!.id],
      );
      assert.equal(await s.groups.count({ tenantId: tenant, displayName: { op: 'startsWith', value: 'TEAM' } }), 2);
      assert.equal(await s.groups.count({ tenantId: tenant, displayName: { op: 'eq', value: 'other' } }), 1);
      assert.equal(await s.groups.count({ tenantId: tenant }), 3);
      assert.equal(await s.groups.count({ tenantId: 'another-tenant' }), 0);
      const first = await s.groups.list({ tenantId: tenant, limit: 2 });
      const rest = await s.groups.list({ tenantId: tenant, limit: 2, afterId: first.at(-1)!.id });
      assert.equal(new Set([...first, ...rest].map((g) => g.id)).size, 3);
    });

    test('update writes displayName, description and mailNickname with its audit, in the tenant only; a missing group writes nothing', async () => {
      const s = store();
      const g = group('Before');
      await s.groups.insert(g);
      const changed: Group = { ...g, displayName: 'After', description: 'now described', mailNickname: 'after', createdAt: now + 5 };
      assert.equal(await s.groups.update(changed, [audit('Update group')]), true);
      assert.deepEqual(await s.groups.findById(tenant, g.id), { ...changed, createdAt: now }, 'createdAt never changes');
      assert.equal(
        await s.groups.update({ ...changed, tenantId: 'another-tenant', displayName: 'Elsewhere' }, [audit('Update group')]),
        false,
      );
      const missing = group('Missing');
      assert.equal(await s.groups.update(missing, [audit('Update group')]), false);
      assert.equal(await s.groups.findById(tenant, missing.id), null);
      assert.equal((await s.groups.findById(tenant, g.id))?.displayName, 'After');
      const audits = await s.audit.list({ tenantId: tenant, activityDisplayName: 'Update group', limit: 10 });
      assert.equal(audits.length, 1, 'audited only when written');
    });

    test('members and transitive members: nested, each once, a cycle ends, paging; removing and deleting', async () => {
      const s = store();
      const [outer, inner, innermost] = [group('Outer'), group('Inner'), group('Innermost')];
      for (const g of [outer, inner, innermost]) await s.groups.insert(g);
      const [u0, u1, u2, u3] = users as [User, User, User, User];
      assert.equal(await s.groups.addMember(outer.id, { id: u0.id, kind: 'user' }, [audit('Add member to group')]), true);
      assert.equal(await s.groups.addMember(outer.id, { id: u0.id, kind: 'user' }, [audit('Add member to group')]), false);
      await s.groups.addMember(outer.id, { id: inner.id, kind: 'group' }, []);
      await s.groups.addMember(inner.id, { id: u1.id, kind: 'user' }, []);
      await s.groups.addMember(inner.id, { id: innermost.id, kind: 'group' }, []);
      await s.groups.addMember(innermost.id, { id: u2.id, kind: 'user' }, []);
      await s.groups.addMember(innermost.id, { id: u0.id, kind: 'user' }, []); // u0 twice over
      await s.groups.addMember(innermost.id, { id: outer.id, kind: 'group' }, []); // a cycle

      const direct = await s.groups.members(outer.id, { limit: 10 });
      assert.deepEqual(direct.map((m) => m.id).sort(), [u0.id, inner.id].sort());
      const all = await s.groups.transitiveMembers(outer.id, { limit: 100 });
      const expected = [u0, u1, u2]
        .map((u) => u.id)
        .concat(inner.id, innermost.id)
        .sort();
      assert.deepEqual(
        all.map((m) => m.id),
        expected,
        'sorted by id, each once, without the group itself',
      );
      assert.equal(await s.groups.memberCount(outer.id, false), 2);
      assert.equal(await s.groups.memberCount(outer.id, true), expected.length, 'counts what transitiveMembers lists');
      assert.equal(await s.groups.memberCount(newGuid(), true), 0);
      assert.equal(all.find((m) => m.id === u1.id)?.kind, 'user');
      assert.equal(all.find((m) => m.id === inner.id)?.kind, 'group');
      const page1 = await s.groups.transitiveMembers(outer.id, { limit: 2 });
      const page2 = await s.groups.transitiveMembers(outer.id, { limit: 10, afterId: page1.at(-1)!.id });
      assert.deepEqual(
        [...page1, ...page2].map((m) => m.id),
        expected,
      );
      assert.ok(!all.some((m) => m.id === u3.id));

      assert.equal(await s.groups.removeMember(outer.id, u0.id, [audit('Remove member from group')]), true);
      assert.equal(await s.groups.removeMember(outer.id, u0.id, []), false);
      assert.ok(
        (await s.groups.transitiveMembers(outer.id, { limit: 100 })).some((m) => m.id === u0.id),
        'still in through innermost',
      );
      // A deleted user leaves every group; a deleted group leaves the groups it was in.
      assert.equal(await s.users.delete(tenant, u2.id, []), true);
      assert.ok(!(await s.groups.members(innermost.id, { limit: 10 })).some((m) => m.id === u2.id));
      assert.equal(await s.groups.delete(tenant, inner.id, [audit('Delete group')]), true);
      assert.equal(await s.groups.delete(tenant, inner.id, []), false);
      assert.deepEqual(
        (await s.groups.members(outer.id, { limit: 10 })).map((m) => m.id),
        [],
      );
      assert.equal(await s.groups.findById(tenant, inner.id), null);
      const audits = await s.audit.list({ tenantId: tenant, limit: 100 });
      assert.equal(
        audits.filter((a) => a.activityDisplayName === 'Add member to group').length,
        1,
        'written only when the member was added',
      );
      assert.equal(audits.filter((a) => a.activityDisplayName === 'Delete group').length, 1);
    });
  });
}
