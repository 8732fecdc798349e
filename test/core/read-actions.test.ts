import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Actor } from '../../src/core/authorization/decide.js';
import { READ_ACTIONS, mayReadAbout, mayReadAll, type ReadAction } from '../../src/core/authorization/read-actions.js';
import { ROLE, resolveRole } from '../../src/core/roles.js';
import { docTable, ticked } from '../helpers/doc-table.js';

/**
 * docs/authorization.md "Reading the audit log and revocation receipts" is the specification of
 * src/core/authorization/read-actions.ts: the table is parsed and compared with READ_ACTIONS, and
 * the two decisions are checked on each kind of caller.
 */
const DOC = readFileSync(new URL('../../docs/authorization.md', import.meta.url), 'utf8');

const user = (roles: string[], scopes: string[], id = 'u1'): Actor => ({
  kind: 'user',
  id,
  roles,
  scopes: new Set(scopes.map((s) => s.toLowerCase())),
});
const app = (permissions: string[]): Actor => ({ kind: 'app', permissions: new Set(permissions.map((p) => p.toLowerCase())), roles: [] });

describe('read actions (audit log, revocation receipts)', () => {
  test('the code is the table in docs/authorization.md', () => {
    const [, ...rows] = docTable(DOC, 'read-actions');
    assert.deepEqual(rows.map((r) => ticked(r[0]!)[0]).sort(), Object.keys(READ_ACTIONS).sort());
    for (const r of rows) {
      const rule = READ_ACTIONS[ticked(r[0]!)[0] as ReadAction];
      assert.deepEqual(ticked(r[2]!), [...rule.delegated]);
      assert.deepEqual(
        r[3]!.split(',').map((n) => resolveRole(n.trim())),
        [...rule.roles],
      );
      assert.deepEqual(ticked(r[4]!), [...rule.application]);
      assert.deepEqual(r[5] === 'no' ? null : ticked(r[5]!), rule.delegatedSelf === null ? null : [...rule.delegatedSelf]);
    }
  });

  test('receipts: readers read all, a user their own, nobody else', () => {
    const a: ReadAction = 'readRevocationReceipts';
    assert.equal(mayReadAll(user([ROLE.securityReader], ['AuditLog.Read.All']), a), true);
    assert.equal(mayReadAll(user([ROLE.securityReader], ['User.Read']), a), false, 'the role without the scope');
    assert.equal(mayReadAll(user([ROLE.helpdeskAdministrator], ['AuditLog.Read.All']), a), false, 'the scope without a reader role');
    assert.equal(mayReadAll(app(['AuditLog.Read.All']), a), true);
    assert.equal(mayReadAll(app(['User.Read.All']), a), false);
    assert.equal(mayReadAbout(user([], ['User.Read']), a, 'u1'), true, 'oneself');
    assert.equal(mayReadAbout(user([], ['User.Read']), a, 'u2'), false, 'someone else');
    assert.equal(mayReadAbout(user([], ['Mail.Read']), a, 'u1'), false, 'oneself without a scope that allows it');
    assert.equal(mayReadAbout(user([], ['User.Read']), 'readDirectoryAudits', 'u1'), false, 'the audit log has no self reading');
  });
});
