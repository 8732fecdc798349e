import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditIdentity, AuditRecord } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import type { Store } from '../../src/store/store.js';
import { contractRecords } from './contract-records.js';

/**
 * The audit log by target and by initiating user (AuditStore.list's targetId and initiatorUserId),
 * run by test/store/contract.ts inside each adapter's suite: newest first, keyset paging, only
 * this tenant, the records written inside a revoke's transaction included, kept after the user is deleted.
 */
export function auditTargetContract(store: () => Store, tenant: string, now: number): void {
  const { user } = contractRecords(tenant, now);
  const record = (activity: string, at: number, targets: string[], initiatedBy: AuditIdentity = {}, tenantId = tenant): AuditRecord => ({
    id: newGuid(),
    tenantId,
    activityDateTime: at,
    activityDisplayName: activity,
    category: 'UserManagement',
    loggedByService: 'Core Directory',
    operationType: 'Update',
    result: 'success',
    resultReason: '',
    correlationId: newGuid(),
    initiatedBy,
    targetResources: targets.map((id) => ({ id, type: 'User', userPrincipalName: null, displayName: null, modifiedProperties: [] })),
  });

  test('audit: listed by target id and by initiating user, newest first, paged by keyset, kept after the user is deleted', async () => {
    const s = store();
    const u = user(`audit-target-${newGuid()}@contract.test`);
    const other = newGuid();
    const admin: AuditIdentity = { user: { id: newGuid(), userPrincipalName: 'admin@contract.test', displayName: 'Admin' } };
    const created = record('Add user', now, [u.id], admin);
    await s.users.insert(u, [created]);
    // Same time as the next one: the id breaks the tie, as in the unfiltered log.
    const tied = [record('Update user', now + 1, [u.id, other, u.id]), record('Update user', now + 1, [u.id], admin)];
    for (const r of tied) await s.audit.insert(r);
    await s.audit.insert(record('Update user', now + 2, [other], admin));
    await s.audit.insert(record('Update user', now + 3, [u.id], {}, `${tenant}-elsewhere`));
    const revoked = record('Revoke sessions', now + 4, [u.id], admin);
    assert.ok(await s.users.revoke(tenant, u.id, now + 4, { audit: [revoked] }));

    const expected = [revoked, ...[...tied].sort((a, b) => (a.id < b.id ? 1 : -1)), created].map((r) => r.id);
    const all = await s.audit.list({ tenantId: tenant, targetId: u.id, limit: 10 });
    assert.deepEqual(
      all.map((r) => r.id),
      expected,
    );
    assert.deepEqual(all[0], revoked);

    const paged: string[] = [];
    let before: { at: number; id: string } | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await s.audit.list({ tenantId: tenant, targetId: u.id, limit: 2, ...(before ? { before } : {}) });
      paged.push(...rows.map((r) => r.id));
      const last = rows[rows.length - 1];
      if (rows.length < 2 || !last) break;
      before = { at: last.activityDateTime, id: last.id };
    }
    assert.deepEqual(paged, expected);

    assert.deepEqual(
      (await s.audit.list({ tenantId: tenant, targetId: u.id, activityDisplayName: 'Update user', limit: 10 })).map((r) => r.id),
      expected.slice(1, 3),
    );
    assert.deepEqual(
      (await s.audit.list({ tenantId: tenant, initiatorUserId: admin.user!.id, limit: 10 })).map((r) => r.activityDateTime),
      [now + 4, now + 2, now + 1, now],
    );
    assert.deepEqual(await s.audit.list({ tenantId: tenant, targetId: newGuid(), limit: 10 }), []);
    // GUIDs compare without regard to case, as in Graph.
    assert.deepEqual(
      (await s.audit.list({ tenantId: tenant, targetId: u.id.toUpperCase(), limit: 10 })).map((r) => r.id),
      expected,
    );

    const deleted = record('Delete user', now + 5, [u.id], admin);
    assert.equal(await s.users.delete(tenant, u.id, [deleted]), true);
    assert.deepEqual(
      (await s.audit.list({ tenantId: tenant, targetId: u.id, limit: 10 })).map((r) => r.id),
      [deleted.id, ...expected],
    );
  });
}
