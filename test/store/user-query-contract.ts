import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { User } from '../../src/core/model.js';
import { newGuid } from '../../src/crypto/random.js';
import type { Store, UserCondition, UserListQuery } from '../../src/store/store.js';

/**
 * UserStore.list / count with conditions and orders (store/sql/user-query.ts), alike on both
 * dialects: case-insensitive text, null semantics, prefix ranges, LIKE metacharacters taken
 * literally, keyset paging in both directions. Its own tenant, so other cases' users do not count.
 */
export function userQueryContract(store: () => Store, now: number): void {
  describe('users: list and count with conditions', () => {
    const tenant = newGuid();
    const byName = new Map<string, User>();
    const names = ['Team Alpha', 'team beta', 'Teamster', 'Zed Team', 'a%b', 'a_c', 'Ärger', 'Bob.Jones'];

    before(async () => {
      const s = store();
      await s.tenants.insert({ id: tenant, domain: 'query.test', displayName: 'Query', createdAt: now });
      for (const [i, displayName] of names.entries()) {
        const u: User = {
          id: newGuid(),
          tenantId: tenant,
          userPrincipalName: `u${i}_${i % 2 === 0 ? 'x' : 'y'}@Query.test`,
          displayName,
          mail: i % 3 === 0 ? null : `m${i}@query.test`,
          passwordHash: null,
          accountEnabled: i !== 1,
          revocationEpoch: 0,
          signInSessionsValidFrom: null,
          refreshTokensValidFrom: null,
          roleTemplateIds: [],
          createdAt: now + i * 1000,
        };
        await s.users.insert(u);
        byName.set(displayName, u);
      }
    });

    const names_ = async (where: UserCondition, extra: Partial<UserListQuery> = {}): Promise<string[]> =>
      (await store().users.list({ tenantId: tenant, limit: 100, where, ...extra })).map((u) => u.displayName).sort();

    test('eq, startsWith, endsWith are case-insensitive; LIKE metacharacters are literal', async () => {
      assert.deepEqual(await names_({ kind: 'compare', column: 'displayName', op: 'eq', value: 'TEAM ALPHA' }), ['Team Alpha']);
      assert.deepEqual(await names_({ kind: 'startsWith', column: 'displayName', value: 'team' }), ['Team Alpha', 'Teamster', 'team beta']);
      assert.deepEqual(await names_({ kind: 'startsWith', column: 'displayName', value: 'a%' }), ['a%b']);
      assert.deepEqual(await names_({ kind: 'startsWith', column: 'displayName', value: 'a_' }), ['a_c']);
      assert.deepEqual(await names_({ kind: 'startsWith', column: 'userPrincipalName', value: 'U1_' }), ['team beta']);
      assert.deepEqual(await names_({ kind: 'endsWith', column: 'userPrincipalName', value: '1_Y@QUERY.TEST' }), ['team beta']);
      assert.deepEqual(await names_({ kind: 'endsWith', column: 'userPrincipalName', value: '%@query.test' }), []);
      assert.deepEqual(await names_({ kind: 'compare', column: 'id', op: 'eq', value: byName.get('Zed Team')!.id.toUpperCase() }), [
        'Zed Team',
      ]);
    });

    test('null: eq null, ne a value includes null, not(eq) includes null; constant-null columns', async () => {
      const nullMail = names.filter((_, i) => i % 3 === 0).sort();
      assert.deepEqual(await names_({ kind: 'compare', column: 'mail', op: 'eq', value: null }), nullMail);
      const notM1 = names.filter((_, i) => i !== 1).sort();
      assert.deepEqual(await names_({ kind: 'compare', column: 'mail', op: 'ne', value: 'M1@query.test' }), notM1);
      assert.deepEqual(await names_({ kind: 'not', item: { kind: 'compare', column: 'mail', op: 'eq', value: 'm1@query.test' } }), notM1);
      assert.deepEqual(await names_({ kind: 'startsWith', column: 'mail', value: 'm' }), names.filter((_, i) => i % 3 !== 0).sort());
      assert.deepEqual(await names_({ kind: 'compare', column: 'givenName', op: 'eq', value: 'x' }), []);
      assert.equal((await names_({ kind: 'compare', column: 'surname', op: 'eq', value: null })).length, names.length);
    });

    test('booleans, dates, and/or, $search word prefixes', async () => {
      assert.deepEqual(await names_({ kind: 'compare', column: 'accountEnabled', op: 'eq', value: false }), ['team beta']);
      assert.deepEqual(await names_({ kind: 'compare', column: 'createdDateTime', op: 'ge', value: now + 6000 }), ['Bob.Jones', 'Ärger']);
      const either: UserCondition = {
        kind: 'or',
        items: [
          { kind: 'compare', column: 'displayName', op: 'eq', value: 'a%b' },
          {
            kind: 'and',
            items: [
              { kind: 'startsWith', column: 'displayName', value: 'team' },
              { kind: 'compare', column: 'accountEnabled', op: 'eq', value: true },
            ],
          },
        ],
      };
      assert.deepEqual(await names_(either), ['Team Alpha', 'Teamster', 'a%b']);
      assert.deepEqual(await names_({ kind: 'wordPrefix', column: 'displayName', value: 'team' }), [
        'Team Alpha',
        'Teamster',
        'Zed Team',
        'team beta',
      ]);
      assert.deepEqual(await names_({ kind: 'wordPrefix', column: 'displayName', value: 'jon' }), ['Bob.Jones']);
      assert.deepEqual(await names_({ kind: 'wordPrefix', column: 'displayName', value: 'eam' }), []);
      assert.equal(await store().users.count(tenant, { kind: 'startsWith', column: 'displayName', value: 'TEAM' }), 3);
      assert.equal(await store().users.count(tenant), names.length);
    });

    test('orderBy displayName (both directions) and createdDateTime, keyset paging sees every user once', async () => {
      for (const descending of [false, true]) {
        const seen: string[] = [];
        let after: UserListQuery['after'];
        for (let pages = 0; pages < 10; pages++) {
          const page = await store().users.list({
            tenantId: tenant,
            limit: 3,
            orderBy: { column: 'displayName', descending },
            ...(after ? { after } : {}),
          });
          seen.push(...page.map((u) => u.displayName));
          if (page.length < 3) break;
          after = { key: page.at(-1)!.displayName, id: page.at(-1)!.id };
        }
        const expected = [...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
        assert.deepEqual(seen, descending ? expected.reverse() : expected);
      }
      const newest = await store().users.list({ tenantId: tenant, limit: 2, orderBy: { column: 'createdDateTime', descending: true } });
      assert.deepEqual(
        newest.map((u) => u.displayName),
        ['Bob.Jones', 'Ärger'],
      );
    });
  });
}
